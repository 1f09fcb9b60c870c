using S3Sync.Config;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>Exclusion patterns cannot hang a run; symbolic links are never followed.</summary>
[Collection("s3")]
public sealed class RegexAndLinkTests(S3ServerFixture server)
{
    [Fact(Timeout = 30_000)]
    public async Task Catastrophic_pattern_on_the_linear_engine_matches_a_long_path_at_once()
    {
        var filter = new PathFilter([], [PathFilter.Compile("(a+)+$"), PathFilter.Compile("^(\\w+\\s?)*$")]);
        var path = new string('a', 100_000) + "!";

        // A backtracking engine needs 2^100000 steps here; the non-backtracking one is linear.
        var included = await Task.Run(() => filter.Includes(path));

        Assert.True(included);
        Assert.False(filter.Includes("aaaa"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Pattern_the_linear_engine_cannot_run_falls_back_to_a_timeout_and_counts_as_excluded()
    {
        // A backreference needs the backtracking engine: it runs with a match timeout.
        var regex = PathFilter.Compile("^(a+)+\\1$");
        Assert.Equal(PathFilter.MatchTimeout, regex.MatchTimeout);
        var filter = new PathFilter([], [regex]);

        var included = await Task.Run(() => filter.Includes(new string('a', 5_000) + "b"));

        Assert.False(included); // timed out: errs towards leaving the file alone
    }

    [Fact(Timeout = 60_000)]
    public async Task Sync_with_a_catastrophic_exclusion_over_long_names_finishes()
    {
        using var s = await Scenario.CreateAsync(server);
        var deep = string.Join('/', Enumerable.Repeat(new string('a', 200), 3));
        s.Write(deep + "/" + new string('a', 200) + "b", "synced");
        s.Write(deep + "/" + new string('a', 200), "excluded");
        s.SiteConfig("exclusions: ['(a+)+$', '^(a|aa)+$']");

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([deep + "/" + new string('a', 200) + "b"], await s.KeysAsync());
    }

    [Theory(Timeout = 60_000)]
    [InlineData("skip", "skipped")]
    [InlineData("follow", "refused")]
    public async Task Symlink_loops_and_links_outside_local_path_are_not_followed_and_make_one_summary_warning(string mode, string what)
    {
        using var s = await Scenario.CreateAsync(server);
        var outside = Path.Combine(s.Root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "outside local_path");
        s.Write("real/file.txt", "real");
        Directory.CreateSymbolicLink(Path.Combine(s.Local, "real", "loop"), Path.Combine(s.Local, "real"));   // a folder that holds itself
        Directory.CreateSymbolicLink(Path.Combine(s.Local, "self"), ".");                                    // relative loop to the root
        Directory.CreateSymbolicLink(Path.Combine(s.Local, "out-dir"), outside);
        File.CreateSymbolicLink(Path.Combine(s.Local, "out-file.txt"), Path.Combine(outside, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(s.Local, "dangling.txt"), Path.Combine(s.Root, "nowhere"));
        s.SiteConfig($"retire_deleted: true\nsymlinks: {mode}");

        var run = await s.SyncProcessAsync(unprivileged: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["real/file.txt"], await s.KeysAsync());
        // One warning line for all five, naming the count and the first paths; no line per link
        var line = Assert.Single(run.Error.Split('\n'), l => l.Contains("symbolic link", StringComparison.Ordinal));
        Assert.Contains($"5 symbolic links {what}", line);
        Assert.Contains("dangling.txt", line);
    }

    /// <summary>Issue #23, item 11: a folder reached through a link, backed up with <c>symlinks: follow</c>, then synced
    /// with the default <c>skip</c> and <c>--delete</c>: its objects were deleted, the only line saying links were
    /// skipped. A link skipped by policy is not a deletion: its objects stay, like excluded keys.</summary>
    [Fact(Timeout = 60_000)]
    public async Task Objects_of_a_link_skipped_by_policy_are_kept_under_delete_and_a_real_deletion_next_to_it_happens()
    {
        // Given a tree with a link to a folder and a link to a file, backed up following links
        using var s = await Scenario.CreateAsync(server);
        s.Write("shared/one.txt", "1");
        s.Write("shared/deep/two.txt", "2");
        var gone = s.Write("gone.txt", "deleted for real");
        Directory.CreateSymbolicLink(Path.Combine(s.Local, "linked"), "shared");
        File.CreateSymbolicLink(Path.Combine(s.Local, "flink.txt"), "shared/one.txt");
        s.SiteConfig("symlinks: follow");
        var first = await s.SyncAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(["flink.txt", "gone.txt", "linked/deep/two.txt", "linked/one.txt", "shared/deep/two.txt", "shared/one.txt"], await s.KeysAsync());

        // When a file is deleted and the site is synced with the default (skip) and --delete
        File.Delete(gone);
        s.SiteConfig();
        var run = await s.SyncAsync("--delete");

        // Then the real deletion happens, and the objects of both skipped links stay
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["flink.txt", "linked/deep/two.txt", "linked/one.txt", "shared/deep/two.txt", "shared/one.txt"], await s.KeysAsync());
        Assert.Contains("kept 3", run.Output);
    }
}
