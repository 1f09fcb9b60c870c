using System.Diagnostics;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// A folder under local_path that is its own mount point (a real tmpfs here; tests run as root), unmounted between two
/// syncs, is an empty folder on the parent's file system: it must not read as a folder of deleted files.
/// </summary>
[Collection("s3")]
public sealed class SubMountTests(S3ServerFixture server)
{
    private static async Task<int> RunAsync(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await p.WaitForExitAsync();
        return p.ExitCode;
    }

    [Fact]
    public async Task An_unmounted_sub_mount_refuses_the_deletions_under_it_like_an_unmounted_root()
    {
        // Given a tree with a tmpfs mounted at data/, synced with retire_deleted and no max_delete limit
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.txt", "b");
        var data = Path.Combine(s.Local, "data");
        Directory.CreateDirectory(data);
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", data));
        try
        {
            s.Write("data/x.txt", "x");
            s.Write("data/sub/y.txt", "y");
            s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
            var first = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.Equal(["a.txt", "b.txt", "data/sub/y.txt", "data/x.txt"], await s.KeysAsync());

            // When it is unmounted (data/ is now an empty folder on the parent's file system) and b.txt is removed
            Assert.Equal(0, await RunAsync("umount", data));
            Assert.Empty(Directory.EnumerateFileSystemEntries(data));
            File.Delete(Path.Combine(s.Local, "b.txt"));
            var second = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

            // Then nothing under data/ is deleted, the run says why (exit 4); the ordinary deletion still happens
            Assert.True(second.ExitCode == 4, second.ToString());
            Assert.Contains($"{data}/ was a mount point at the last sync and is now an empty folder on its parent's file system; refusing to delete the 2 objects under it (is it mounted?)", second.Output + second.Error);
            Assert.Equal(["a.txt", "data/sub/y.txt", "data/x.txt"], await s.KeysAsync());

            // And the next run still refuses: the folder stays recorded as a mount point
            var third = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
            Assert.True(third.ExitCode == 4, third.ToString());
            Assert.Equal(3, (await s.KeysAsync()).Count);

            // When it is mounted again, with its files, all is well
            Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", data));
            s.Write("data/x.txt", "x");
            s.Write("data/sub/y.txt", "y");
            var fourth = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
            Assert.True(fourth.ExitCode == 0, fourth.ToString());
            Assert.Equal(["a.txt", "data/sub/y.txt", "data/x.txt"], await s.KeysAsync());
            Assert.Equal(0, await RunAsync("umount", data));

            // And once the operator removes the empty folder for good, its objects go
            Directory.Delete(data);
            var last = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
            Assert.True(last.ExitCode == 0, last.ToString());
            Assert.Equal(["a.txt"], await s.KeysAsync());
        }
        finally
        {
            await RunAsync("umount", data); // already unmounted unless the test failed early
        }
    }
}
