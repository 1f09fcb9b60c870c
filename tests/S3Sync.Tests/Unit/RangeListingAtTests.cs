using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Unit;

/// <summary>The tree at a time (<c>restore --at</c>, <c>ls --at</c>) listed by folder side by side gives exactly the
/// stream of one chain of versions, whatever was deleted, and each folder's chain asks only for its own prefix.</summary>
public sealed class RangeListingAtTests
{
    private static readonly byte[] Body = [1, 2, 3];

    /// <summary>A store (keys seeded under <paramref name="prefix"/>) of <paramref name="folders"/> folders (each with two subfolders) of versions written at
    /// <c>t1</c>; at <c>t2</c> folder d01 is wholly deleted and some keys rewritten; at <c>t3</c> a folder is added.</summary>
    private static (MemoryStore Store, DateTime[] Times) History(int folders, int perFolder, string prefix = "")
    {
        var clock = new ManualClock();
        var store = new MemoryStore("bucket", clock, prefix);
        var root = new List<string> { "0", "a", "zz-root", "\u00e9t\u00e9.txt", "d01-", "d01.txt" };
        foreach (var k in root) store.Seed(prefix + k, Body);
        for (var f = 0; f < folders; f++)
            for (var i = 0; i < perFolder; i++) store.Seed($"{prefix}d{f:00}/{(i % 2 == 0 ? "x" : "y")}/f{i:0000}", Body);
        var t1 = clock.GetUtcNow().UtcDateTime;
        clock.Advance(TimeSpan.FromSeconds(10));
        if (folders > 1)
            store.DeleteAsync([.. store.Objects.Select(o => o.Key).Where(k => k.StartsWith(prefix + "d01/", StringComparison.Ordinal)).Select(k => k[prefix.Length..])], CancellationToken.None).GetAwaiter().GetResult();
        store.DeleteAsync(["a"], CancellationToken.None).GetAwaiter().GetResult();
        for (var f = 0; f < folders; f += 3) store.Seed($"{prefix}d{f:00}/x/f0000", [9]);
        var t2 = clock.GetUtcNow().UtcDateTime;
        clock.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < perFolder; i++) store.Seed($"{prefix}new/f{i:0000}", Body);
        var t3 = clock.GetUtcNow().UtcDateTime;
        return (store, [t1.AddSeconds(-1), t1, t2, t3]);
    }

    private static async Task<List<(string, string?, string, long)>> TreeAsync(IObjectStore store, DateTime at)
    {
        var tree = new List<(string, string?, string, long)>();
        await foreach (var o in RangeListing.ListAtAsync(store, at, CancellationToken.None)) tree.Add((o.Key, o.VersionId, o.ETag, o.Size));
        return tree;
    }

    /// <summary>The one chain: the same store, listed without levels.</summary>
    private static async Task<List<(string, string?, string, long)>> OneChainAsync(MemoryStore store, DateTime at)
    {
        var one = (MemoryStore)store.At(store.Location.Prefix);
        one.CanListFolders = false;
        return await TreeAsync(one, at);
    }

    public static TheoryData<int, int> Sizes => new() { { 0, 0 }, { 1, 10 }, { 3, 900 }, { 20, 100 }, { 40, 60 }, { 2, 2000 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task The_tree_at_every_time_listed_by_folder_is_the_one_chains(int folders, int perFolder)
    {
        var (store, times) = History(folders, perFolder);

        foreach (var at in times[1..])
        {
            var expected = await OneChainAsync(store, at);
            Assert.Equal(expected, await TreeAsync(store, at));
        }
    }

    [Fact]
    public async Task Under_a_prefix_the_tree_is_the_one_chains_and_split_by_folder()
    {
        var (store, times) = History(20, 100, "site/");
        store.Seed("sitex/f", Body);

        var tree = await TreeAsync(store, times[2]);

        Assert.Equal(await OneChainAsync(store, times[2]), tree);
        Assert.DoesNotContain(tree, o => o.Item1.StartsWith("d01/", StringComparison.Ordinal)); // deleted then
        Assert.Contains("LIST?versions site/d05/", store.Calls);
    }

    [Fact]
    public async Task Each_folders_chain_asks_only_its_prefix_and_once()
    {
        // 40 folders of 60 keys (2,400 keys, 3 pages of one chain), d01 wholly deleted at the time.
        var (store, times) = History(40, 60);

        var tree = await TreeAsync(store, times[2]);

        var chains = store.Calls.Where(c => c.StartsWith("LIST?versions ", StringComparison.Ordinal)).Select(c => c["LIST?versions ".Length..]).ToList();
        var folders = Enumerable.Range(0, 40).Select(f => $"d{f:00}/").Append("new/").ToList();
        Assert.Equal(["", .. folders], chains.Order(StringComparer.Ordinal)); // the first page, then a chain per folder
        Assert.Contains("LIST?versions&delimiter ", store.Calls);
        Assert.Equal(40 * 60 - 60 + 5, tree.Count); // d01 and "a" deleted, "new/" not written yet
    }

    [Fact]
    public async Task A_folder_deleted_at_the_time_is_empty_in_the_tree_not_a_mismatch()
    {
        // Few folders: each is split one level further, and d01's subfolders hold only delete markers at t2.
        var (store, times) = History(2, 2000);

        var tree = await TreeAsync(store, times[2]);

        Assert.Equal(await OneChainAsync(store, times[2]), tree);
        Assert.DoesNotContain(tree, o => o.Item1.StartsWith("d01/", StringComparison.Ordinal));
        Assert.Contains("LIST?versions d01/x/", store.Calls);
        Assert.Contains(tree, o => o.Item1 == "d01-");
    }

    [Fact]
    public async Task A_folder_the_level_invents_is_a_mismatch_not_a_hidden_key()
    {
        var (store, times) = History(40, 60);
        using var lying = new InventedFolder(store);

        var e = await Assert.ThrowsAsync<ListingMismatchException>(() => TreeAsync(lying, times[2]));

        Assert.Contains("'zz-invented/', which lists no key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_before_the_oldest_version_is_refused_when_split_too()
    {
        var (store, times) = History(40, 60);

        var e = await Assert.ThrowsAsync<BeforeOldestVersionException>(() => TreeAsync(store, times[0]));

        Assert.Equal(times[1], e.OldestUtc);
    }

    /// <summary>A server whose level of versions names a folder that holds no version.</summary>
    private sealed class InventedFolder(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public override async Task<FolderLevel?> ListLevelAtAsync(DateTime at, string under, int most, CancellationToken cancellationToken) =>
            await base.ListLevelAtAsync(at, under, most, cancellationToken).ConfigureAwait(false) is { } level && under.Length == 0
                ? level with { Folders = [.. level.Folders, "zz-invented/"] }
                : null;
    }
}
