using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

public class KeyMergerTests
{
    [Theory]
    [InlineData("a,c", "b,c", "a:L,b:R,c:LR")]
    [InlineData("", "x,y", "x:R,y:R")]
    [InlineData("x,y", "", "x:L,y:L")]
    [InlineData("a-b,a/b", "a-b,a/b,a0", "a-b:LR,a/b:LR,a0:R")]
    [InlineData("", "", "")]
    public async Task Merges_two_sorted_streams(string local, string remote, string expected)
    {
        var merged = await Merge(Split(local), Split(remote));
        Assert.Equal(expected, string.Join(",", merged.Select(m => $"{m.Key}:{(m.Local is null ? "" : "L")}{(m.Remote is null ? "" : "R")}")));
    }

    [Theory]
    [InlineData("b,a", "", "local listing is out of order")]
    [InlineData("", "a/b,a-b", "remote listing is out of order")]
    [InlineData("a,a", "", "holds the key 'a' twice")]
    public async Task Refuses_out_of_order_or_duplicate_input(string local, string remote, string message)
    {
        var e = await Assert.ThrowsAsync<MergeOrderException>(() => Merge(Split(local), Split(remote)));
        Assert.Contains(message, e.Message);
    }

    private static string[] Split(string s) => s.Length == 0 ? [] : s.Split(',');

    private static async Task<List<MergedKey>> Merge(string[] local, string[] remote)
    {
        var result = new List<MergedKey>();
        await foreach (var m in KeyMerger.MergeAsync(
            local.Select(k => new LocalEntry(k, "/x/" + k, 1, DateTime.UnixEpoch)).ToAsyncEnumerable(),
            remote.Select(k => new RemoteObject(k, 1, "", "STANDARD", DateTime.UnixEpoch)).ToAsyncEnumerable()))
            result.Add(m);
        return result;
    }
}
