using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Unit;

/// <summary>The listing split into key ranges gives exactly the stream of one chain, in the same order, whatever the
/// bucket holds; it splits only where there is more than a page, and reads no key twice.</summary>
public sealed class RangeListingTests
{
    private static async Task<List<string>> KeysAsync(IObjectStore store)
    {
        var keys = new List<string>();
        await foreach (var o in RangeListing.ListAsync(store, CancellationToken.None)) keys.Add(o.Key);
        return keys;
    }

    /// <summary>Keys around every folder boundary: files named like folders, markers, root files, other scripts.</summary>
    private static List<string> Tree(int folders, int perFolder)
    {
        var keys = new List<string> { "0", "a", "zz-root", "\u00e9t\u00e9.txt", "\U0001F600/x", "\uE000/y", "d05", "d05/", "d05.txt", "d05-", "d05/z/", "d05/z/deep" };
        for (var f = 0; f < folders; f++)
            for (var i = 0; i < perFolder; i++) keys.Add($"d{f:00}/f{i:0000}");
        return keys;
    }

    public static TheoryData<int, int> Sizes => new() { { 0, 0 }, { 1, 10 }, { 3, 900 }, { 20, 300 }, { 40, 60 }, { 2, 2000 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Ranges_listed_side_by_side_give_the_one_chains_stream(int folders, int perFolder)
    {
        var keys = Tree(folders, perFolder);
        var store = new ListingStore(keys);
        var expected = keys.Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance).ToList();

        Assert.Equal(expected, await KeysAsync(store));
    }

    [Fact]
    public async Task Under_a_prefix_the_keys_are_relative_and_nothing_outside_it_comes()
    {
        var keys = Tree(20, 100).Select(k => "site/" + k).Concat(["other/x", "sitex", "site"]).ToList();
        var store = new ListingStore(keys, "site/");

        var listed = await KeysAsync(store);

        Assert.Equal(Tree(20, 100).Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance), listed);
    }

    [Fact]
    public async Task A_site_of_one_page_is_listed_with_one_request_and_a_large_one_in_ranges()
    {
        var small = new ListingStore(Tree(3, 100));
        await KeysAsync(small);
        Assert.Equal(1, small.Pages);

        // 40 folders of 100: the chain is 5 pages one after another; each folder is a page of its own, 32 at a time.
        var large = new ListingStore(Tree(40, 100));
        Assert.Equal(4012, (await KeysAsync(large)).Count);
        Assert.Equal(2 + 42, large.Pages); // the first page and the start of the second, then one per folder (40 + 2 others)
    }

    [Fact]
    public async Task Few_folders_are_split_one_level_further_and_a_store_without_folders_is_one_chain()
    {
        var keys = new List<string>();
        for (var f = 0; f < 2; f++)
            for (var s = 0; s < 20; s++)
                for (var i = 0; i < 50; i++) keys.Add($"top{f}/sub{s:00}/f{i:00}");
        var store = new ListingStore(keys);
        Assert.Equal(keys.Order(KeyOrder.Instance), await KeysAsync(store));
        Assert.Equal(3, store.FolderPages); // the prefix's and each of its 2 folders'
        Assert.Equal(2 + 40, store.Pages); // the first page and the start of the second, then one per sub-folder

        var chain = new ListingStore(keys) { AnswersFolders = false };
        Assert.Equal(keys.Order(KeyOrder.Instance), await KeysAsync(chain));
        Assert.Equal(3, chain.Pages); // the first page and the start of the second (is there more?), then the rest of the one chain
    }
}
