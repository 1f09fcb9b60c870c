using S3Sync.Local;

namespace S3Sync.Tests.Unit;

public sealed class FileNamesTests
{
    [Theory]
    [InlineData(new byte[] { 0x61, 0x62 }, true)]
    [InlineData(new byte[] { 0x78, 0xEF, 0xBF, 0xBD }, true)]  // U+FFFD written as UTF-8: a valid name
    [InlineData(new byte[] { 0xC3, 0xA9 }, true)]             // é
    [InlineData(new byte[] { 0x62, 0xFF }, false)]            // not UTF-8
    [InlineData(new byte[] { 0xC3 }, false)]                  // truncated sequence
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, false)]      // an encoded surrogate
    [InlineData(new byte[] { 0xC0, 0xAF }, false)]            // overlong '/'
    public void A_name_has_a_key_only_when_its_bytes_are_valid_UTF8(byte[] name, bool valid) =>
        Assert.Equal(valid, FileNames.TryDecode(name, out _));
}
