using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>
/// The most deletions a run may make: a count, or a percentage of the objects under the prefix.
/// </summary>
public readonly record struct DeleteLimit(long Count, double Percent, long Floor = 0)
{
    /// <summary>
    /// Default: refuse a run that would delete more than half of what the prefix holds, once that is more than
    /// 20 objects (so small sites can still retire a few files).
    /// </summary>
    public static DeleteLimit Default => new(-1, 50, 20);

    public static DeleteLimit Unlimited => new(-1, -1);

    public bool IsUnlimited => Count < 0 && Percent < 0;

    public bool Allows(long deletions, long remoteObjects)
    {
        if (deletions == 0 || IsUnlimited || deletions <= Floor) return true;
        if (Count >= 0) return deletions <= Count;
        return deletions <= remoteObjects * Percent / 100.0;
    }

    public override string ToString() => IsUnlimited ? "unlimited" : Count >= 0 ? Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Percent.ToString(System.Globalization.CultureInfo.InvariantCulture)}%" + (Floor > 0 ? $" (at least {Floor})" : "");

    /// <summary>Why a max_delete text is refused, in a phrase for "--max-delete: ..." or "max_delete: ...".</summary>
    public static string Problem(string text) => text.Trim().StartsWith('-')
        ? $"'{text}' is negative; use 'unlimited' for no limit"
        : $"'{text}' is not a count (like 100), a percentage (like 10%) or 'unlimited'";

    /// <summary>A count (0 and up), a percentage (0% to 100%) or <c>unlimited</c>; a negative number is refused
    /// (it used to mean unlimited, silently).</summary>
    public static bool TryParse(string text, out DeleteLimit limit)
    {
        text = text.Trim();
        limit = Default;
        if (text is "unlimited") { limit = Unlimited; return true; }
        if (text.EndsWith('%'))
        {
            if (double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 100)
            {
                limit = new DeleteLimit(-1, p);
                return true;
            }
            return false;
        }
        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            limit = new DeleteLimit(n, -1);
            return true;
        }
        return false;
    }
}
