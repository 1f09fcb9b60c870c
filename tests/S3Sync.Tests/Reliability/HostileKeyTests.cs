using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Keys anyone with write access to the bucket can create: every C0 control, DEL, U+FFFE, U+FFFF. A sync that
/// retires them deletes each (one by one where DeleteObjects' XML body cannot carry it), never crashes, and
/// never prints one raw.
/// </summary>
[Collection("s3")]
public sealed class HostileKeyTests(S3ServerFixture server)
{
    /// <summary>Every character a DeleteObjects body cannot carry unchanged, plus DEL and two noncharacters. NUL is not
    /// a character S3 keys can hold (the SDK refuses it before sending).</summary>
    private static IEnumerable<char> HostileCharacters() =>
        [.. Enumerable.Range(1, 0x1F).Select(c => (char)c), '\u007F', '\uFFFE', '\uFFFF'];

    private static bool HasRawControl(string text) =>
        text.Any(c => (char.IsControl(c) && c is not '\n' and not '\r') || c is '\uFFFE' or '\uFFFF');

    [Fact]
    public async Task Retired_keys_holding_each_control_character_are_deleted_and_printed_escaped()
    {
        // Given a site with one local file and, under its prefix, one object per hostile character
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "keep");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var hostile = new List<string>();
        foreach (var c in HostileCharacters())
        {
            var key = $"x{c}y";
            await server.PutAsync(s.Bucket, key, Encoding.UTF8.GetBytes("junk"));
            hostile.Add(key);
        }
        await server.PutAsync(s.Bucket, "x\ny-neighbour", Encoding.UTF8.GetBytes("neighbour"));
        hostile.Add("x\ny-neighbour");
        Assert.Equal(hostile.Count + 1, (await s.KeysAsync()).Count);

        // When it syncs with debug logs (every deleted key is logged)
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited", globals: "loglevel: debug");
        var run = await s.SyncAsync();

        // Then every hostile object is gone, the local file stays, and no raw control character was printed
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["keep.txt"], await s.KeysAsync());
        Assert.Contains($"deleted {hostile.Count},", run.Output);
        Assert.False(HasRawControl(run.Output + run.Error), run.ToString());
    }

    [Fact]
    public async Task A_key_that_cannot_be_deleted_fails_alone_and_the_next_site_still_syncs()
    {
        // Given two sites through a proxy that fails every DELETE of one hostile key
        using var proxy = new FaultProxy(server.Endpoint);
        proxy.Decide = (_, method, target) => method == "DELETE" && target.Contains("bad%1B", StringComparison.Ordinal) ? 500 : null;
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 1;
        var other = await server.NewBucketAsync();
        var otherLocal = Path.Combine(s.Root, "other");
        Directory.CreateDirectory(otherLocal);
        File.WriteAllText(Path.Combine(otherLocal, "b.txt"), "b");
        s.Write("keep.txt", "keep");
        await server.PutAsync(s.Bucket, "bad\u001b", Encoding.UTF8.GetBytes("junk"));
        await server.PutAsync(s.Bucket, "gone\u0007", Encoding.UTF8.GetBytes("junk"));
        await server.PutAsync(s.Bucket, "gone.txt", Encoding.UTF8.GetBytes("junk"));
        s.Config($"- local_path: {s.Local}\n  bucket: {s.Bucket}\n  retire_deleted: true\n  max_delete: unlimited\n- local_path: {otherLocal}\n  bucket: {other}\n");

        // When it syncs
        var run = await s.SyncAsync();

        // Then that key is the site's one failure (exit 3), its neighbours are deleted and the second site synced
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal(["bad\u001b", "keep.txt"], await s.KeysAsync());
        Assert.Equal(["b.txt"], (await server.ListAsync(other)).Select(o => o.Key));
        Assert.Contains("bad\\x1b: delete failed", run.Output);
        Assert.Contains("deleted 2,", run.Output);
        Assert.Contains("failed 1;", run.Output);
        Assert.False(HasRawControl(run.Output + run.Error), run.ToString());
    }
}
