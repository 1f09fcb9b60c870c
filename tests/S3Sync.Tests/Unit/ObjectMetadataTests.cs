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
    [InlineData("9223372035.854775807", 9_223_372_035_854_775_807L)]
    [InlineData("-9223372035.0", -9_223_372_035_000_000_000L)]
    [InlineData("9223372036.0", null)]            // past a long's nanoseconds (2262)
    [InlineData("99999999999.999999999", null)]   // wrapped round to 2216 before
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

    [Theory]
    [InlineData("100644", "1600000000.0", null, null)]
    [InlineData("644", "1600000000.0", null, null)]
    [InlineData("120777", "1600000000.0", "..%2Fa", null)]
    [InlineData("120777", "1600000000.0", "abc%00def", "the stored link target holds a NUL character")]
    [InlineData("120777", "1600000000.0", null, "the object's mode is a link's but it holds no link target")]
    [InlineData("100644", "1600000000.0", "%2Fetc%2Fpasswd", "the object holds a link target but its mode 100644 is not a link's")]
    [InlineData("40755", "1600000000.0", null, "the stored mode 40755 is not a regular file's")]
    [InlineData("100644", "99999999999.999999999", null, "the stored mtime '99999999999.999999999' is not a time a file can have")]
    [InlineData("100644", "-2147483649.0", null, "the stored mtime -2147483649.000000000 is outside the range a file system holds")]
    [InlineData("100644", "-2147483648.0", null, null)]
    [InlineData("rwxr-xr-x", "1600000000.0", null, "the stored mode 'rwxr-xr-x' is not an octal mode")]
    [InlineData("100644", "1600000000.0", "uname", "the stored owner or group name holds a NUL character")]
    public void Metadata_a_restore_cannot_apply_is_named(string mode, string mtime, string? link, string? problem)
    {
        var meta = new Dictionary<string, string> { ["mode"] = mode, ["mtime"] = mtime };
        if (link == "uname") (link, meta["uname"]) = (null, "root%00x");
        if (link is not null) meta["s3sync-symlink"] = link;
        Assert.Equal(problem, ObjectMetadata.Problem(name => meta.GetValueOrDefault(name)));
    }

    [Theory]
    [InlineData(0x9ED, 0x9ED, true, true)]    // 4755 both, owner compared
    [InlineData(0x1ED, 0x9ED, true, false)]   // 755 on disk, 4755 stored: a restore with the owner sets it
    [InlineData(0x1ED, 0xDED, false, true)]   // without the owner the stored 6755 is restored as 755
    [InlineData(0x9ED, 0x1ED, false, false)]  // a setuid file on disk is not the 755 object's
    public void Without_the_owner_the_setuid_and_setgid_bits_are_not_expected(int onDisk, int stored, bool owner, bool same) =>
        Assert.Equal(same, new FileMetadata(1, 0x8000 | onDisk).SameAs(new FileMetadata(1, 0x8000 | stored), owner));
}
