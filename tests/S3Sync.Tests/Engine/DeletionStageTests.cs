using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Engine;

/// <summary>
/// The one deletion stage, as a table against the in-memory store: a full sync's deletions and watch's event
/// deletions ask the same guard (max_delete as a count or a percentage of the managed objects, an empty root), hold
/// what it refuses, report every key and count them the same way.
/// </summary>
public sealed class DeletionStageTests
{
    private sealed class FakeClock : TimeProvider
    {
        private long _now = 1_000_000;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => _now;
        public void Advance(TimeSpan by) => _now += (long)by.TotalMilliseconds;
    }

    private static string Tree(int files) => string.Join(' ', Enumerable.Range(0, files).Select(i => $"f{i:00}={i}"));

    [Theory]
    [InlineData(10, 3, "3", SiteStatus.Done, 3, 0)]
    [InlineData(10, 4, "3", SiteStatus.DeletesRefused, 0, 4)]
    [InlineData(21, 1, "5%", SiteStatus.Done, 1, 0)]
    [InlineData(21, 2, "5%", SiteStatus.DeletesRefused, 0, 2)]
    [InlineData(30, 15, "50%", SiteStatus.Done, 15, 0)]
    [InlineData(30, 16, "50%", SiteStatus.DeletesRefused, 0, 16)]
    [InlineData(10, 9, "unlimited", SiteStatus.Done, 9, 0)]
    [InlineData(10, 10, "unlimited", SiteStatus.DeletesRefused, 0, 10)] // every file gone: an empty root, whatever the limit
    public async Task A_full_sync_deletes_within_max_delete_and_holds_the_rest(int files, int removed, string maxDelete, SiteStatus status, int deleted, int held)
    {
        using var site = new MemorySite();
        Assert.True(DeleteLimit.TryParse(maxDelete, out var limit));
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = limit };
        site.Tree(Tree(files));
        await site.SyncAsync();
        site.Tree(string.Join(' ', MemorySite.Parse(Tree(files)).Skip(removed).Select(f => $"{f.Name}={f.Content}")));

        var (result, actions) = await site.SyncAsync();

        Assert.Equal(status, result.Status);
        Assert.Equal(deleted, result.Stats.Deleted);
        Assert.Equal(files - deleted, site.Store.Keys.Count);
        Assert.Equal(held, actions.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(a => a.EndsWith("(held)", StringComparison.Ordinal)));
        Assert.Equal(deleted, actions.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(a => a.StartsWith("delete:", StringComparison.Ordinal) && !a.EndsWith(')')));
        if (held > 0) Assert.Single(result.Problems, p => p.Contains(removed == files ? "is empty while" : $"more than max_delete {limit}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_asks_the_guard_as_the_run_does()
    {
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = new DeleteLimit(1, -1) };
        site.Tree("a=1 b=2 c=3");
        await site.SyncAsync();
        site.Tree("a=1");

        var (dry, planned) = await site.SyncAsync(new SyncSettings { DryRun = true });
        var (real, done) = await site.SyncAsync();

        Assert.Equal("delete:b(held) delete:c(held)", planned);
        Assert.Equal(planned, done);
        Assert.Equal(SiteStatus.DeletesRefused, dry.Status);
        Assert.Equal(dry.Status, real.Status);
        Assert.Equal(3, site.Store.Keys.Count);
    }

    /// <summary>Watch's events between full syncs, against the base the full sync's listing gave (5% of 21 is one).</summary>
    [Theory]
    [InlineData("f00", "5%", "delete:f00", DeletionRefusal.None, 1)]
    [InlineData("f00 f01", "5%", "delete:f00(held) delete:f01(held)", DeletionRefusal.MaxDelete, 0)]
    [InlineData("d/", "unlimited", "delete:d/x delete:d/y", DeletionRefusal.None, 2)]
    [InlineData("f00 f05", "1", "delete:f00(held) delete:f05(held)", DeletionRefusal.MaxDelete, 0)]
    public async Task Event_deletions_count_against_the_last_listing(string removed, string maxDelete, string actions, DeletionRefusal refusal, int deleted)
    {
        using var site = new MemorySite();
        Assert.True(DeleteLimit.TryParse(maxDelete, out var limit));
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = limit };
        site.Tree(Tree(19) + " d/x=x d/y=y");
        var stage = new DeletionStage(site.Site, site.Store, new DeleteGuard(limit), NullLogger.Instance, nameSite: true);
        await site.SyncAsync(deletions: stage);
        // The base is what a listing counted: the first sync listed an empty bucket, the second 21 objects.
        Assert.Equal(0, stage.Guard.Objects);
        Assert.Equal(SiteStatus.Done, (await site.SyncAsync(deletions: stage)).Result.Status);
        Assert.Equal(21, stage.Guard.Objects);
        var items = removed.Split(' ');
        foreach (var item in items)
        {
            var path = Path.Combine(site.Local, item);
            if (item.EndsWith('/')) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        var events = new ConcurrentQueue<ActionEvent>();

        var outcome = await stage.EventsAsync(items, site.Local, rootThere: true, events.Enqueue, default);

        Assert.Equal(actions, MemorySite.Actions(events));
        Assert.Equal(refusal, outcome.Refusal);
        Assert.Equal(deleted, outcome.Deleted);
        Assert.Equal(21 - deleted, site.Store.Keys.Count);
        Assert.Equal(refusal != DeletionRefusal.None, stage.Holding);
    }

    [Fact]
    public async Task Once_events_are_held_later_ones_are_held_until_a_full_sync_decides()
    {
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = new DeleteLimit(1, -1) };
        site.Tree("a=1 b=2 c=3 d=4");
        var time = new FakeClock();
        var stage = new DeletionStage(site.Site, site.Store, new DeleteGuard(site.Site.MaxDelete, time), NullLogger.Instance);
        await site.SyncAsync(deletions: stage);
        await site.SyncAsync(deletions: stage);
        File.Delete(Path.Combine(site.Local, "a"));
        File.Delete(Path.Combine(site.Local, "b"));
        Assert.Equal(DeletionRefusal.MaxDelete, (await stage.EventsAsync(["a", "b"], site.Local, true, null, default)).Refusal);

        // A minute on, one deletion alone is within max_delete, but the site is holding.
        time.Advance(TimeSpan.FromMinutes(2));
        File.Delete(Path.Combine(site.Local, "c"));
        var held = await stage.EventsAsync(["c"], site.Local, true, null, default);
        Assert.Equal((DeletionRefusal.Holding, 1L), (held.Refusal, held.Held));

        stage.Decided(holding: false);
        time.Advance(TimeSpan.FromMinutes(2));
        var made = await stage.EventsAsync(["c"], site.Local, true, null, default);
        Assert.Equal((DeletionRefusal.None, 1L), (made.Refusal, made.Deleted));
        Assert.Equal(["p/a", "p/b", "p/d"], site.Store.Keys);
    }

    [Fact]
    public async Task An_empty_or_replaced_root_deletes_nothing_and_holds_nothing_on()
    {
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = DeleteLimit.Unlimited };
        site.Tree("a=1 b=2");
        var stage = new DeletionStage(site.Site, site.Store, new DeleteGuard(site.Site.MaxDelete), NullLogger.Instance);
        await site.SyncAsync(deletions: stage);
        site.Tree("");

        var empty = await stage.EventsAsync(["a", "b"], site.Local, rootThere: true, null, default);
        var replaced = await stage.EventsAsync(["a", "b"], site.Local, rootThere: false, null, default);

        Assert.Equal((DeletionRefusal.EmptyRoot, 2L), (empty.Refusal, empty.Held));
        Assert.Equal(DeletionOutcome.Nothing, replaced);
        Assert.False(stage.Holding);
        Assert.Equal(2, site.Store.Keys.Count);
    }

    [Fact]
    public async Task A_key_the_store_refuses_is_failed_and_counted_the_others_deleted()
    {
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = DeleteLimit.Unlimited };
        site.Tree("a=1 b=2 c=3");
        await site.SyncAsync();
        site.Tree("c=3");
        site.Store.Fault = (verb, key) => verb == "DELETE" && key == "p/a" ? new Remote.StoreException(Remote.StoreErrorKind.AccessDenied, "AccessDenied (HTTP 403)") : null;

        var (result, actions) = await site.SyncAsync();

        Assert.Equal("delete:a(failed) delete:b", actions);
        Assert.Equal((1L, 1L), (result.Stats.Deleted, result.Stats.Failed));
        Assert.Equal(SiteStatus.Failed, result.Status);
        Assert.Contains("a: delete failed: AccessDenied (HTTP 403)", result.Problems);
    }
}
