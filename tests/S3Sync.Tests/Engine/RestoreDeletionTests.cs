using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Engine;

/// <summary>
/// restore --delete's local deletions go through the one <see cref="DeletionStage"/>, as sync's deletions in S3: the
/// same guard (max_delete as a count or a percentage of the target's files), the same refusal of an empty source (the
/// bucket prefix), the same held lines, and a dry run that asks the guard as the run does (same actions, same status).
/// Table-tested against the in-memory store.
/// </summary>
public sealed class RestoreDeletionTests
{
    private static string Tree(int files, string name = "f") => string.Join(' ', Enumerable.Range(0, files).Select(i => $"{name}{i:00}={i}"));

    [Theory]
    [InlineData(10, 3, "3", SiteStatus.Done, 3, 0)]
    [InlineData(10, 4, "3", SiteStatus.DeletesRefused, 0, 4)]
    [InlineData(20, 1, "5%", SiteStatus.Done, 1, 0)] // 5% of the target's 21 files is one
    [InlineData(20, 2, "5%", SiteStatus.DeletesRefused, 0, 2)]
    [InlineData(5, 5, "unlimited", SiteStatus.Done, 5, 0)]
    [InlineData(0, 3, "unlimited", SiteStatus.DeletesRefused, 0, 3)] // an empty prefix is no deleted tree, whatever the limit
    public async Task Restore_deletes_local_files_within_max_delete_and_its_dry_run_holds_the_same(int objects, int extra, string maxDelete, SiteStatus status, int deleted, int held)
    {
        using var site = new MemorySite();
        Assert.True(DeleteLimit.TryParse(maxDelete, out var limit));
        site.Tree(Tree(objects));
        await site.SyncAsync();
        var target = Path.Combine(site.Root, "restored");
        foreach (var (name, content) in MemorySite.Parse(Tree(objects) + " " + Tree(extra, "x")))
        {
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, name), content);
        }
        var restoring = site.Site with { LocalPath = target, RetireDeleted = true, MaxDelete = limit };

        var (dry, planned, dryProblems) = await RestoreAsync(site.Store, restoring, dryRun: true);
        var (real, done, problems) = await RestoreAsync(site.Store, restoring, dryRun: false);

        Assert.Equal(status, real.Status);
        Assert.Equal(real.Status, dry.Status);
        Assert.Equal(done, planned.Replace("(planned)", "", StringComparison.Ordinal));
        Assert.Equal(held, done.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(a => a.EndsWith("(held)", StringComparison.Ordinal)));
        Assert.Equal(deleted, real.Stats.Deleted);
        Assert.Equal(deleted, dry.Stats.Deleted);
        Assert.Equal(objects + extra - deleted, Directory.GetFiles(target).Length);
        Assert.Equal(dryProblems, problems);
        if (held > 0)
            Assert.Single(problems, p => p.Contains(objects == 0 ? "is empty while" : $"more than max_delete {limit}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_held_restore_deletion_says_why_as_a_held_sync_deletion_does()
    {
        using var site = new MemorySite();
        site.Tree("a=1");
        await site.SyncAsync();
        var target = Path.Combine(site.Root, "restored");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "a"), "1");
        File.WriteAllText(Path.Combine(target, "b"), "2");
        File.WriteAllText(Path.Combine(target, "c"), "3");
        var events = new ConcurrentQueue<ActionEvent>();
        var restore = new SiteRestore(site.Site with { LocalPath = target, RetireDeleted = true, MaxDelete = new DeleteLimit(1, -1) }, site.Store, DirectDigestSource.Instance,
            new RestoreSettings(2, Owner: false), NullLogger.Instance);
        restore.Acted += events.Enqueue;

        var result = await restore.RunAsync(default);

        Assert.Equal(SiteStatus.DeletesRefused, result.Status);
        Assert.All(events.Where(e => e.Verb == "delete"), e => Assert.Equal((ActionStatus.Held, ChangeReason.LocalOnly, "more than max_delete 1"), (e.Status, e.Reason, e.Why)));
        Assert.Equal(["a", "b", "c"], Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains(result.Problems, p => p.Contains("run again with --max-delete 2", StringComparison.Ordinal));
    }

    private static async Task<(SiteResult Result, string Actions, IReadOnlyList<string> Problems)> RestoreAsync(MemoryStore store, Site site, bool dryRun)
    {
        var events = new ConcurrentQueue<ActionEvent>();
        var restore = new SiteRestore(site, store, DirectDigestSource.Instance, new RestoreSettings(2, Owner: false, DryRun: dryRun), NullLogger.Instance);
        restore.Acted += events.Enqueue;
        var result = await restore.RunAsync(default);
        return (result, MemorySite.Actions(events.Where(e => e.Verb == "delete")), result.Problems);
    }
}
