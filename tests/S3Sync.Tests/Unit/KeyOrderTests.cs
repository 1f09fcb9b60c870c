using System.Text;
using S3Sync.Local;

namespace S3Sync.Tests.Unit;

public class KeyOrderTests
{
    [Theory]
    [InlineData("a-b", "a/b")]          // '-' 0x2D before '/' 0x2F
    [InlineData("a/b", "a0")]           // '/' 0x2F before '0' 0x30
    [InlineData("A", "a")]
    [InlineData("a", "ab")]
    [InlineData("z", "é")]              // U+00E9 encodes as 0xC3 0xA9
    [InlineData("\uFFFD", "😀")]        // U+FFFD (EF BF BD) before U+1F600 (F0 9F 98 80); UTF-16 order says the opposite
    [InlineData("\uE000", "😀")]
    public void Orders_keys_by_utf8_bytes(string first, string second)
    {
        Assert.True(KeyOrder.Instance.Compare(first, second) < 0);
        Assert.True(KeyOrder.Instance.Compare(second, first) > 0);
        Assert.True(CompareBytes(first, second) < 0, "the test vector itself must be in UTF-8 byte order");
    }

    [Fact]
    public void Agrees_with_utf8_byte_order_on_mixed_keys()
    {
        string[] keys = ["a/b", "a-b", "a0", "ä", "😀x", "\uE000", "a b", "a+b", "a%b", "Z", "日本"];
        var byOrder = keys.OrderBy(k => k, KeyOrder.Instance).ToArray();
        var byBytes = keys.OrderBy(k => k, Comparer<string>.Create(CompareBytes)).ToArray();
        Assert.Equal(byBytes, byOrder);
    }

    private static int CompareBytes(string x, string y) =>
        Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y));
}
