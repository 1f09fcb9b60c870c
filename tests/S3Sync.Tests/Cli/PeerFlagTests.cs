using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// The flags users type from aws, rclone and s5cmd (README, "Flags from other tools"): each does what the peer's
/// flag does, through the published binary against the real server; a mistake is one line, exit 2.
/// </summary>
[Collection("s3")]
public sealed class PeerFlagTests(S3ServerFixture server)
{
    /// <summary>The scenario's config holds keys: made 0600, so no mode warning joins the lines a test compares.</summary>
    private static Task<RunResult> Sync(Scenario s, params string[] extra)
    {
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return Binary.RunAsync(["sync", "-c", s.ConfigPath, .. extra]);
    }

    private async Task<string> Body(Scenario s, string key) => Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, key));

    [Fact]
    public async Task Size_only_leaves_a_same_size_edit_that_the_content_comparison_uploads()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("a.txt", "aaaa");
        Assert.Equal(0, (await Sync(s)).ExitCode);
        s.Write("a.txt", "bbbb");

        var sizeOnly = await Sync(s, "--size-only");
        Assert.True(sizeOnly.ExitCode == 0, sizeOnly.ToString());
        Assert.Equal("aaaa", await Body(s, "a.txt"));

        var content = await Sync(s);
        Assert.True(content.ExitCode == 0, content.ToString());
        Assert.Equal("bbbb", await Body(s, "a.txt"));
    }

    [Fact]
    public async Task Size_only_still_uploads_a_file_whose_size_changed()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("a.txt", "aaaa");
        Assert.Equal(0, (await Sync(s)).ExitCode);
        s.Write("a.txt", "bbbbb");

        var run = await Sync(s, "--size-only");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("bbbbb", await Body(s, "a.txt"));
    }

    [Fact]
    public async Task Max_age_uploads_only_recent_files_and_never_deletes_the_keys_of_older_ones()
    {
        // Given an old file and a recent one, both in the bucket
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var old = s.Write("old.txt", "old");
        s.Write("recent.txt", "recent");
        Assert.Equal(0, (await Sync(s)).ExitCode);
        // When the old file changes but keeps an old mtime, a new file appears, and sync runs with --delete --max-age 1d
        File.WriteAllText(old, "old, edited");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-10));
        s.Write("new.txt", "new");

        var run = await Sync(s, "--delete", "--max-age", "1d");

        // Then only the recent file is uploaded, and the old file's key is neither updated nor deleted
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["new.txt", "old.txt", "recent.txt"], await s.KeysAsync());
        Assert.Equal("old", await Body(s, "old.txt"));
        // Without the window the edit is seen
        Assert.Equal(0, (await Sync(s, "--delete")).ExitCode);
        Assert.Equal("old, edited", await Body(s, "old.txt"));
    }

    [Fact]
    public async Task Delete_excluded_deletes_the_objects_the_filters_exclude_and_only_with_delete()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("a.txt", "a");
        s.Write("b.log", "b");
        Assert.Equal(0, (await Sync(s)).ExitCode);

        var kept = await Sync(s, "--delete", "--exclude", "*.log");
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Equal(["a.txt", "b.log"], await s.KeysAsync());

        var refused = await Sync(s, "--exclude", "*.log", "--delete-excluded");
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal("s3sync: --delete-excluded deletes only where deletion is on: add --delete (or retire_deleted: true to the site)\n", refused.Error);
        Assert.Equal(["a.txt", "b.log"], await s.KeysAsync());

        var deleted = await Sync(s, "--delete", "--exclude", "*.log", "--delete-excluded");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Equal(["a.txt"], await s.KeysAsync());
    }

    [Fact]
    public async Task Follow_symlinks_uploads_what_a_link_points_to()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("real/target.txt", "target bytes");
        File.CreateSymbolicLink(Path.Combine(s.Local, "link.txt"), "real/target.txt");

        var run = await Sync(s, "--follow-symlinks");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("target bytes", await Body(s, "link.txt"));
        var conflict = await Sync(s, "--follow-symlinks", "--symlinks", "skip");
        Assert.Equal(2, conflict.ExitCode);
        Assert.Equal("s3sync: --follow-symlinks and --symlinks skip contradict each other: drop one\n", conflict.Error);
    }

    [Theory]
    [InlineData("--transfers")]
    [InlineData("--concurrency")]
    public async Task Transfers_and_concurrency_are_workers(string flag)
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("a.txt", "a");

        var bad = await Sync(s, flag, "0");
        var good = await Sync(s, flag, "2");

        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("s3sync: --workers: must be a whole number from 1 to 1024, got '0'\n", bad.Error);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Equal(["a.txt"], await s.KeysAsync());
    }

    [Fact]
    public async Task Only_show_errors_is_quiet()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("a.txt", "a");

        var run = await Sync(s, "--only-show-errors");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal("", run.Error);
        Assert.Equal(["a.txt"], await s.KeysAsync());
    }

    [Theory]
    [InlineData("--checksum")]
    [InlineData("--exact-timestamps")]
    public async Task Checksum_and_exact_timestamps_are_accepted_because_content_is_always_compared(string flag)
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        s.Write("a.txt", "aaaa");
        Assert.Equal(0, (await Sync(s)).ExitCode);
        s.Write("a.txt", "bbbb");
        File.SetLastWriteTimeUtc(Path.Combine(s.Local, "a.txt"), DateTime.UtcNow.AddDays(-30));

        var run = await Sync(s, flag);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("bbbb", await Body(s, "a.txt"));
    }

    [Fact]
    public async Task Progress_off_a_terminal_writes_whole_progress_lines()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("name: www");
        s.Write("a.txt", "aaaa");
        s.Write("b.txt", "bb");

        var run = await Sync(s, "-P");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("www: 2/2 files, 6 B/6 B,", run.Error);
        Assert.DoesNotContain("\r", run.Error);
        Assert.DoesNotContain("\u001b", run.Error);
    }

    [Fact]
    public async Task Stats_writes_a_progress_line_at_the_interval_and_at_the_end()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("name: www");
        s.Write("a.txt", "aaaa");

        var run = await Sync(s, "--stats", "1h");
        var none = await Sync(s, "--no-progress", "-q");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("www: 1/1 files, 4 B/4 B,", run.Error);
        Assert.Equal("", none.Error);
    }

    [Theory]
    [InlineData("--stats", "0", "s3sync: --stats: '0' must be more than zero\n")]
    [InlineData("--stats", "10ms", "s3sync: --stats: '10ms' is less than 100ms\n")]
    [InlineData("--max-age", "yesterday", "s3sync: --max-age: 'yesterday' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)\n")]
    [InlineData("--max-age", "-1h", "s3sync: --max-age: '-1h' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)\n")]
    public async Task A_bad_duration_is_one_line_and_exit_2(string flag, string value, string expected)
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();

        var run = await Sync(s, flag, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected, run.Error);
        Assert.Empty(await s.KeysAsync());
    }

    [Fact]
    public async Task Contradicting_flags_are_one_line_each()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();

        var run = await Sync(s, "--size-only", "--checksum", "--progress", "--no-progress");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("s3sync: --size-only and --checksum contradict each other: s3sync compares content unless --size-only is given; drop one\n"
            + "s3sync: --progress and --no-progress contradict each other: drop one\n", run.Error);
    }

    [Fact]
    public async Task Log_file_takes_what_stderr_would_get_and_is_created_private()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var log = Path.Combine(s.Root, "s3sync.log");

        var run = await Binary.RunAsync(["sync", "-c", Path.Combine(s.Root, "nothing.yml"), "--log-file", log]);
        var again = await Binary.RunAsync(["sync", "-c", Path.Combine(s.Root, "nothing.yml"), "--log-file=" + log]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(2, again.ExitCode);
        Assert.Equal("", run.Error + again.Error);
        var lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Count(l => l.Contains("nothing.yml", StringComparison.Ordinal)));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
    }

    [Fact]
    public async Task Log_file_refuses_a_symbolic_link_and_a_fifo_in_one_line()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var victim = Path.Combine(s.Root, "victim");
        File.WriteAllText(victim, "untouched");
        var link = Path.Combine(s.Root, "link.log");
        File.CreateSymbolicLink(link, victim);
        var fifo = Path.Combine(s.Root, "fifo.log");
        Assert.Equal(0, (await Binary.RunAsync("mkfifo", [fifo])).ExitCode);

        var viaLink = await Sync(s, "--log-file", link);
        var viaFifo = await Sync(s, "--log-file", fifo);

        Assert.Equal(2, viaLink.ExitCode);
        Assert.Equal($"s3sync: --log-file: {link}: is a symbolic link; give the file it points to\n", viaLink.Error);
        Assert.Equal("untouched", File.ReadAllText(victim));
        Assert.Equal(2, viaFifo.ExitCode);
        Assert.Equal($"s3sync: --log-file: {fifo}: is a FIFO (named pipe), not a regular file\n", viaFifo.Error);
        Assert.Empty(await s.KeysAsync());
    }

    [Theory]
    [InlineData(new[] { "snyc" }, "s3sync: unknown command 'snyc' (did you mean 'sync'?)\nRun 's3sync --help' for usage.\n")]
    [InlineData(new[] { "verfy" }, "s3sync: unknown command 'verfy' (did you mean 'verify'?)\nRun 's3sync --help' for usage.\n")]
    [InlineData(new[] { "config", "chek" }, "s3sync: unknown command 'chek' for config (did you mean 'check'?)\nRun 's3sync config --help' for usage.\n")]
    [InlineData(new[] { "--verison" }, "s3sync: unknown option '--verison' (did you mean '--version'?)\nRun 's3sync --help' for usage.\n")]
    public async Task An_unknown_command_or_option_gets_the_nearest_name(string[] args, string expected)
    {
        var run = await Binary.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected, run.Error);
    }

    [Fact]
    public async Task An_unknown_option_with_a_value_is_one_error_line()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();

        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var run = await Binary.RunAsync(["verify", "-c", s.ConfigPath, "--max-ages", "24h"]);
        var root = await Binary.RunAsync(["--max-ages", "24h"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("s3sync: unknown option '--max-ages' for verify\nRun 's3sync verify --help' for usage.\n", run.Error);
        Assert.Equal(2, root.ExitCode);
        Assert.Equal("s3sync: unknown option '--max-ages'\nRun 's3sync --help' for usage.\n", root.Error);
    }
}
