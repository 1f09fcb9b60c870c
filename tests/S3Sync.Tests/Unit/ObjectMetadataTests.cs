using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The metadata every upload stores, written and read back.</summary>
public sealed class ObjectMetadataTests
{
    [Theory]
    [InlineData(0L, "0.000000000")]
    [InlineData(981173106_123456789L, "981173106.123456789")]
    [InlineData(1_000_000_001L, "1.000000001")]
    [InlineData(-1L, "-1.999999999")]
    public void Mtime_is_written_in_rclones_form_and_read_back(long ns, string text)
    {
        Assert.Equal(text, ObjectMetadata.FormatMtime(ns));
        Assert.Equal(ns, ObjectMetadata.ParseMtime(text));
    }

    [Theory]
    [InlineData("1700000000", 1_700_000_000_000_000_000L)]
    [InlineData("1700000000.5", 1_700_000_000_500_000_000L)]
    [InlineData("x", null)]
    [InlineData("1.1234567890", null)]
    [InlineData("", null)]
    public void Mtime_parsing_takes_whole_and_fractional_seconds_only(string text, long? ns) =>
        Assert.Equal(ns, ObjectMetadata.ParseMtime(text));

    [Fact]
    public void Every_entry_round_trips_names_and_link_targets_percent_encoded()
    {
        var file = new FileMetadata(1_234_567_890_123_456_789, 0xA1FF, 1000, 100, "jürgen", "staff")
        {
            LinkTarget = "../ziel mit ümlaut",
        };
        var headers = new UploadHeaders("STANDARD", "text/plain", new string('0', 32)) { File = file }.ToHttpHeaders(multipart: false);
        Assert.All(headers, h => Assert.True(h.Value.All(char.IsAscii), h.Key));
        var meta = headers.Where(h => h.Key.StartsWith(UploadHeaders.MetaPrefix, StringComparison.Ordinal))
            .ToDictionary(h => h.Key[UploadHeaders.MetaPrefix.Length..], h => h.Value);
        Assert.Equal("120777", meta["mode"]);

        var back = ObjectMetadata.Parse(name => meta.GetValueOrDefault(name));

        Assert.Equal(file, back);
    }

    [Fact]
    public void An_object_without_mtime_and_mode_has_no_file_metadata() =>
        Assert.Null(ObjectMetadata.Parse(name => name == "mtime" ? "1700000000.000000000" : null));
}
