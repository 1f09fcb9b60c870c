using System.Diagnostics;
using System.Text.Json;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>--quiet in cron is quiet (issue #27): the shipped cron example promises mail only when something fails, and
/// a tree that always holds a FIFO and a link must not mail its summary warnings every 15 minutes.</summary>
[Collection("s3")]
public sealed class QuietTests(S3ServerFixture server)
{
    private static async Task<Scenario> TreeWithFifoAndLinkAsync(S3ServerFixture server)
    {
        var s = await Scenario.CreateAsync(server);
        s.Write("fstab", "fstab");
        File.CreateSymbolicLink(Path.Combine(s.Local, "mtab"), "/proc/self/mounts");
        using (var mkfifo = Process.Start("mkfifo", [Path.Combine(s.Local, "initctl")])) await mkfifo.WaitForExitAsync();
        s.SiteConfig("name: etc");
        // It holds keys: readable by its owner only, as installed (else a warning about that comes every run)
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return s;
    }

    [Fact]
    public async Task Cron_example_two_quiet_runs_over_a_fifo_and_a_link_the_second_writes_nothing()
    {
        // Given the cron example's command line over a tree with a FIFO and a symbolic link
        using var s = await TreeWithFifoAndLinkAsync(server);
        var cron = File.ReadAllLines(Path.Combine(S3ServerFixture.RepoRoot, "examples", "s3sync.cron")).Single(l => l.Contains(" sync -c ", StringComparison.Ordinal));
        Assert.EndsWith(" --quiet", cron, StringComparison.Ordinal);

        // When it runs twice
        var first = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--quiet"]);
        var second = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--quiet"]);

        // Then the first says once what it skipped, and the second writes nothing at all, exit 0
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains($"site etc: 1 symbolic links skipped: {s.Local}/mtab", first.Error, StringComparison.Ordinal);
        Assert.Contains($"site etc: 1 special files skipped (FIFOs, sockets or devices: not regular files): {s.Local}/initctl", first.Error, StringComparison.Ordinal);
        Assert.Equal(2, first.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(second is { ExitCode: 0, Output: "", Error: "" }, second.ToString());
        Assert.Equal(["fstab"], await s.KeysAsync());

        // And -v and --json still say it, every run
        var verbose = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "-v"]);
        Assert.Contains("site etc: 1 symbolic links skipped", verbose.Error, StringComparison.Ordinal);
        Assert.Contains("site etc: 1 special files skipped", verbose.Error, StringComparison.Ordinal);
        var json = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--json", "--quiet"]);
        Assert.True(json is { ExitCode: 0, Error: "" }, json.ToString());
        json = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--json"]);
        var summary = json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.GetProperty("type").GetString() == "summary");
        Assert.Equal(1, summary.GetProperty("links_skipped").GetInt32());
        Assert.Equal(1, summary.GetProperty("special_files_skipped").GetInt32());

        // And a change of the count is said once again
        using (var mkfifo = Process.Start("mkfifo", [Path.Combine(s.Local, "fifo2")])) await mkfifo.WaitForExitAsync();
        var changed = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--quiet"]);
        Assert.Contains("site etc: 2 special files skipped", changed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("symbolic links", changed.Error, StringComparison.Ordinal);
        Assert.Equal("", (await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--quiet"])).Error);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("fifo")]
    [InlineData("dev-zero")]
    [InlineData("folder")]
    public async Task A_hostile_notices_file_in_the_state_folder_is_ignored_never_a_crash_or_a_hang(string kind)
    {
        // Given a run that remembered its counts, whose file is then replaced
        using var s = await TreeWithFifoAndLinkAsync(server);
        Assert.Equal(0, (await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--quiet"])).ExitCode);
        var file = Assert.Single(Directory.GetFiles(Path.Combine(s.Root, "state", "notices")));
        File.Delete(file);
        switch (kind)
        {
            case "garbage": File.WriteAllBytes(file, [0xff, 0x00, (byte)'\n', .. "links -1\nspecial 99999999999999999999\n"u8.ToArray()]); break;
            case "fifo": using (var mkfifo = Process.Start("mkfifo", [file])) await mkfifo.WaitForExitAsync(); break;
            case "dev-zero": File.CreateSymbolicLink(file, "/dev/zero"); break;
            case "folder": Directory.CreateDirectory(file); break;
        }

        // When the next quiet run reads it
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--quiet"], timeout: TimeSpan.FromSeconds(30));

        // Then it is no memory at all: the warnings come again, the run ends 0, no stack trace
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("site etc: 1 symbolic links skipped", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }
}
