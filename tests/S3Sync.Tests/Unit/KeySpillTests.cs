using S3Sync.Execution;

namespace S3Sync.Tests.Unit;

public sealed class KeySpillTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(25)]
    public void Spilled_keys_come_back_in_order_in_batches(int count)
    {
        var keys = Enumerable.Range(0, count).Select(i => i == 4 ? "new\nline ünï" : $"k{i:D3}").ToList();
        using var spill = new KeySpill(memoryLimit: 3);
        foreach (var k in keys) spill.Add(k);

        var batches = spill.Batches(batchSize: 4).Select(b => b.ToList()).ToList();

        Assert.Equal(count, spill.Count);
        Assert.Equal(keys, batches.SelectMany(b => b));
        Assert.All(batches, b => Assert.InRange(b.Count, 1, 4));
        Assert.Equal(keys, spill.Batches(batchSize: 1000).SelectMany(b => b)); // readable twice
    }
}
