using System.Globalization;

namespace S3Sync.Config;

/// <summary>
/// Durations as the peers write them (<c>--max-age 24h</c>, <c>--stats 30s</c>, rclone's form): one or more
/// number-unit pairs, <c>ms</c>, <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>, <c>w</c> (<c>1h30m</c>, <c>1.5h</c>); a bare
/// number is seconds. Zero, negative and absurd (over 100 years) values are refused.
/// </summary>
public static class DurationText
{
    private static readonly TimeSpan Max = TimeSpan.FromDays(36_525);

    public static bool TryParse(string text, out TimeSpan duration, out string problem)
    {
        duration = TimeSpan.Zero;
        problem = $"'{text}' is not a duration (e.g. 90s, 15m, 24h, 7d, 1h30m)";
        var s = text.Trim();
        if (s.Length == 0) return false;
        // Digits and points only: double.TryParse also takes "NaN", "Infinity" and "∞" whatever the styles say.
        if (s.AsSpan().IndexOfAnyExcept("0123456789.") < 0 && double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var bare))
            return Check(TimeSpan.FromSeconds(Math.Min(bare, Max.TotalSeconds + 1)), text, out duration, ref problem);
        double total = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (i == start || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
            double seconds = s[unitStart..i] switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                "w" => 604_800,
                _ => double.NaN,
            };
            if (double.IsNaN(seconds)) return false;
            total += n * seconds;
            if (total > Max.TotalSeconds) break;
        }
        return Check(TimeSpan.FromSeconds(Math.Min(total, Max.TotalSeconds + 1)), text, out duration, ref problem);
    }

    private static bool Check(TimeSpan value, string text, out TimeSpan duration, ref string problem)
    {
        duration = value;
        if (value <= TimeSpan.Zero) { problem = $"'{text}' must be more than zero"; return false; }
        if (value > Max) { problem = $"'{text}' is more than 100 years"; return false; }
        return true;
    }
}
