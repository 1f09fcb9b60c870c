using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Reporting;

namespace S3Sync.Tests.Unit;

/// <summary>Table tests of the pure parts behind <c>ls</c> and the peer flags: durations, the depth fold, the mode text.</summary>
public sealed class ListingPartsTests
{
    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("24h", 86_400)]
    [InlineData("7d", 604_800)]
    [InlineData("2w", 1_209_600)]
    [InlineData("1h30m", 5_400)]
    [InlineData("1.5h", 5_400)]
    [InlineData("500ms", 0.5)]
    public void Durations_read_as_the_peers_write_them(string text, double seconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration, out var problem), problem);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("", "'' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("0", "'0' must be more than zero")]
    [InlineData("0s", "'0s' must be more than zero")]
    [InlineData("-1h", "'-1h' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("3y", "'3y' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("h", "'h' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("99999999999999999999d", "'99999999999999999999d' is more than 100 years")]
    [InlineData("1e9", "'1e9' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("NaN", "'NaN' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")] // was an ArgumentException, exit 3
    [InlineData("Infinity", "'Infinity' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData("∞", "'∞' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    [InlineData(" 5 m", "' 5 m' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)")]
    public void Bad_durations_say_why(string text, string expected)
    {
        Assert.False(DurationText.TryParse(text, out _, out var problem));
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void Depth_fold_shows_each_folder_once_at_its_depth()
    {
        var fold = new DepthFold(1);
        var shown = new List<string>();
        foreach (var key in (string[])["a.txt", "d/b.txt", "d/e/c.txt", "e/", "e/x", "f"])
        {
            var folder = fold.Fold(key, out var skip);
            if (!skip) shown.Add(folder ?? key);
        }
        Assert.Equal(["a.txt", "d/", "e/", "f"], shown);
    }

    [Theory]
    [InlineData(0x81A4, "-rw-r--r--")]
    [InlineData(0x81ED, "-rwxr-xr-x")]
    [InlineData(0xA1FF, "lrwxrwxrwx")]
    [InlineData(0x89ED, "-rwsr-xr-x")]
    [InlineData(0x43FF, "drwxrwxrwt")]
    [InlineData(0x8180, "-rw-------")]
    public void Mode_text_is_ls_style(int mode, string expected) =>
        Assert.Equal(expected, ListingFormat.Mode(new FileMetadata(0, mode)));

    [Theory]
    [InlineData(0L, "1970-01-01T00:00:00Z")]
    [InlineData(1_049_522_828_000_000_000L, "2003-04-05T06:07:08Z")]
    [InlineData(1_049_522_828_500_000_001L, "2003-04-05T06:07:08.500000001Z")]
    [InlineData(-1L, "1969-12-31T23:59:59.999999999Z")]
    public void Stored_mtimes_print_as_rfc3339(long ns, string expected) => Assert.Equal(expected, ListingFormat.Time(ns));

    [Fact]
    public void A_storage_class_from_a_hostile_server_reaches_the_terminal_escaped()
    {
        // Given a listing whose storage class (the server's text, like the key) carries a terminal escape sequence
        var line = new ListingLine("a.txt", 4, new DateTime(2026, 12, 8, 0, 0, 0, DateTimeKind.Utc), "\u001b]0;owned\u0007STANDARD\nfake line", "\"e\"");

        var text = ListingFormat.Text(line, @long: true);

        // Then ls -l prints it on one line with no control character, and --json carries it exactly
        Assert.DoesNotContain(text, char.IsControl);
        Assert.Contains(@"\x1b]0;owned\x07STANDARD\nfake line", text);
        Assert.Contains(@"""storage_class"":""\u001B]0;owned\u0007STANDARD\nfake line""", ListingFormat.Json(line, null));
    }
}
