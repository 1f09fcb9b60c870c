using System.Collections.Concurrent;
using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Unit;

/// <summary><c>--shard K/N</c>: which paths a shard owns, and that its listing asks only for its own folders and gives
/// exactly its part of the one chain's stream.</summary>
public sealed class ShardTests
{
    [Theory]
    [InlineData("0/4", 0, 4)]
    [InlineData("3/4", 3, 4)]
    [InlineData("0/1", 0, 1)]
    [InlineData("9999/10000", 9999, 10000)]
    public void K_of_N_parses(string text, int index, int count) =>
        Assert.Equal(new Shard(index, count), Shard.Parse(text, out _));

    [Theory]
    [InlineData("4/4", "K counts from 0, so it must be 0 to 3")]
    [InlineData("1/0", "N must be 1 to 10000")]
    [InlineData("0/10001", "N must be 1 to 10000")]
    [InlineData("-1/4", "is not K/N")]
    [InlineData("1", "is not K/N")]
    [InlineData("a/b", "is not K/N")]
    [InlineData(" 1/4", "is not K/N")]
    [InlineData("1/4/2", "is not K/N")]
    public void A_bad_shard_is_refused_with_what_is_wrong(string text, string why)
    {
        Assert.Null(Shard.Parse(text, out var problem));
        Assert.Contains(why, problem);
    }

    [Fact]
    public void The_hash_is_fixed_so_shards_agree_across_versions_and_machines()
    {
        // FNV-1a (32 bits) of the first component's UTF-8 bytes, mod N: these values are the contract.
        Assert.Equal(0u, Fnv(""));
        Assert.Equal(2166136261u % 7, (uint)Shard.Of("", 7));
        Assert.Equal((int)(Fnv("etc") % 4), Shard.Of("etc/ssl/private/key.pem", 4));
        Assert.Equal((int)(0xE40C292Cu % 4), Shard.Of("a", 4)); // FNV-1a("a") = 0xe40c292c
        Assert.Equal(Shard.Of("photos", 13), Shard.Of("photos/2026/x.jpg", 13));
        Assert.Equal(Shard.Of("\u00e9t\u00e9", 5), Shard.Of("\u00e9t\u00e9/x", 5));
    }

    private static uint Fnv(string s)
    {
        if (s.Length == 0) return 0;
        var h = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 16777619u; }
        return h;
    }

    [Fact]
    public void Every_path_belongs_to_exactly_one_shard_and_a_folder_to_the_shard_of_its_files()
    {
        var paths = Enumerable.Range(0, 500).Select(i => i % 3 == 0 ? $"root-{i}.txt" : $"dir{i % 37}/sub/f{i}").ToList();
        const int n = 5;
        var filters = Enumerable.Range(0, n).Select(k => PathFilter.All.WithShard(new Shard(k, n))).ToList();
        foreach (var p in paths)
            Assert.Single(filters, f => f.Includes(p));
        foreach (var f in filters)
            for (var d = 0; d < 37; d++)
            {
                // A folder a shard does not own is never entered; one it owns is, and its files are its own.
                Assert.Equal(!f.Includes($"dir{d}/sub/x"), f.ExcludesAllBelow($"dir{d}/"));
                Assert.Equal(!f.Includes($"dir{d}/sub/x"), f.ExcludesAllBelow($"dir{d}/sub/"));
            }
    }

    [Fact]
    public void A_shard_outranks_every_include_and_keeps_the_patterns()
    {
        var filter = new PathFilter([], [PathFilter.Compile(@"\.tmp$")]).WithRules([FilterRule.Glob(true, "--include", "*")]);
        var shard = new Shard(Shard.Of("a", 2), 2);
        var mine = filter.WithShard(shard);
        var other = new Shard(1 - shard.Index, 2);
        Assert.True(mine.Includes("a/x"));
        Assert.False(filter.WithShard(other).Includes("a/x"));
        Assert.NotEqual(filter, mine);
        Assert.Equal(mine, filter.WithShard(shard));
        Assert.Equal(shard, mine.WithRules([FilterRule.Glob(false, "--exclude", "*.log")]).Shard);
    }

    /// <summary>Records every listing request: the prefix, and whether by level.</summary>
    private sealed class Recording(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public ConcurrentQueue<string> Asked { get; } = new();

        public override IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, CancellationToken cancellationToken)
        {
            Asked.Enqueue(Location.Join(under));
            return base.ListAsync(under, startAfter, cancellationToken);
        }

        public override Task<FolderLevel?> ListLevelAsync(string under, int most, CancellationToken cancellationToken)
        {
            Asked.Enqueue(Location.Join(under) + "?delimiter");
            return base.ListLevelAsync(under, most, cancellationToken);
        }
    }

    private static List<string> Tree() =>
    [
        "a", "a.txt", "a-b/x", "zz", "\u00e9t\u00e9/x", "\U0001F600/y",
        .. Enumerable.Range(0, 30).SelectMany(d => Enumerable.Range(0, 70).Select(i => $"d{d:00}/f{i:000}")),
        .. Enumerable.Range(0, 20).Select(i => $"root{i}"),
        "d03/deep/er/key",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public async Task Each_shard_lists_only_its_own_folders_and_together_they_list_every_key_once(int n)
    {
        var keys = Tree().Select(k => "site/" + k).Append("other/x").Append("sitex").ToList();
        var expected = Tree().Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance).ToList();
        var seen = new List<string>();
        for (var k = 0; k < n; k++)
        {
            var shard = new Shard(k, n);
            var store = new Recording(new ListingStore(keys, "site/"));
            var listed = new List<string>();
            await foreach (var o in RangeListing.ListShardAsync(store, shard, CancellationToken.None)) listed.Add(o.Key);

            // Its part of the one chain, in the one chain's order
            Assert.Equal(expected.Where(shard.Owns), listed);
            // asking for the top level once, and for no folder of another shard
            Assert.Equal(1, store.Asked.Count(p => p == "site/?delimiter"));
            foreach (var prefix in store.Asked.Where(p => p != "site/?delimiter"))
            {
                Assert.StartsWith("site/", prefix);
                Assert.True(shard.Owns(prefix["site/".Length..]), $"shard {shard} listed {prefix}");
            }
            seen.AddRange(listed);
        }
        Assert.Equal(expected, seen.Order(KeyOrder.Instance));
    }

    [Fact]
    public async Task A_store_that_cannot_list_by_level_gives_the_one_chain()
    {
        var store = new ListingStore(Tree()) { AnswersFolders = false };
        var listed = new List<string>();
        await foreach (var o in RangeListing.ListShardAsync(store, new Shard(1, 3), CancellationToken.None)) listed.Add(o.Key);
        Assert.Equal(Tree().Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance), listed); // the planner's filter keeps the part
    }
}
