using System.Globalization;

namespace S3Sync.Config;

/// <summary>
/// A transfer rate as <c>bandwidth_limit</c> and <c>--bwlimit</c> take it: a number and a unit, "/s" optional.
/// Units: B, KB/MB/GB (powers of 1000), KiB/MiB/GiB (powers of 1024), and rclone's K/M/G (powers of 1024);
/// a bare number is bytes. <c>0</c>, <c>off</c> and <c>unlimited</c> mean no limit.
/// </summary>
public static class ByteRate
{
    /// <summary>The slowest limit accepted: below this a single part would take hours.</summary>
    public const long Minimum = 1024;

    public static bool TryParse(string text, out long bytesPerSecond, out string? why)
    {
        bytesPerSecond = 0;
        why = null;
        var t = text.Trim();
        if (t is "0" or "off" or "unlimited") return true;
        if (t.EndsWith("/s", StringComparison.OrdinalIgnoreCase)) t = t[..^2];
        var digits = 0;
        while (digits < t.Length && (char.IsAsciiDigit(t[digits]) || t[digits] == '.')) digits++;
        var suffix = t[digits..].Trim();
        if (digits == 0 || suffix.Length > 3 || !suffix.All(char.IsAsciiLetter)
            || !double.TryParse(t[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            why = $"'{text}' is not a rate (like 10MiB/s, 500KB/s or 0 for none)";
            return false;
        }
        double unit = suffix.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" => 1e3, "MB" => 1e6, "GB" => 1e9,
            "K" or "KIB" => 1024, "M" or "MIB" => 1024 * 1024, "G" or "GIB" => 1024.0 * 1024 * 1024,
            _ => -1,
        };
        var value = number * unit;
        if (unit < 0 || double.IsInfinity(value) || value > long.MaxValue / 2)
        {
            why = $"'{text}' is not a rate (like 10MiB/s, 500KB/s or 0 for none)";
            return false;
        }
        if (value == 0) return true;
        if (value < Minimum)
        {
            why = $"'{text}' is below the smallest limit, 1KiB/s";
            return false;
        }
        bytesPerSecond = (long)value;
        return true;
    }

    /// <summary>A rate in words for <c>config check</c> and logs: "5 MiB/s".</summary>
    public static string Format(long bytesPerSecond) =>
        bytesPerSecond <= 0 ? "0" :
        bytesPerSecond % (1024 * 1024) == 0 ? $"{bytesPerSecond / (1024 * 1024)}MiB/s" :
        bytesPerSecond % 1024 == 0 ? $"{bytesPerSecond / 1024}KiB/s" :
        $"{bytesPerSecond}B/s";
}
