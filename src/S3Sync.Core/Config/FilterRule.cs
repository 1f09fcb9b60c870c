using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>
/// One command-line filter (<c>--exclude</c>, <c>--include</c>, <c>--exclude-regex</c>, <c>--include-regex</c>, a
/// line of <c>--exclude-from</c>). Rules are applied in command-line order after the site's own
/// <c>exclusions</c>/<c>inclusions</c>, and the last rule that matches a path decides (as in <c>aws s3 sync</c>).
/// A glob is anchored at both ends of the relative path; a regular expression is unanchored, like the file's.
/// </summary>
/// <param name="Flag">The flag that gave it (<c>--exclude</c>), for <c>config check</c> and errors.</param>
/// <param name="AllBelow">Matches a folder path (ending in '/') when the rule matches every path below it; null when
/// no such test is possible for the pattern.</param>
public sealed record FilterRule(bool Include, string Flag, string Pattern, Regex Regex, Regex? AllBelow)
{
    /// <summary>A glob rule (<see cref="GlobPattern"/>). Throws <see cref="ArgumentException"/> for a pattern that
    /// cannot compile (a reversed range such as <c>[z-a]</c>).</summary>
    public static FilterRule Glob(bool include, string flag, string glob)
    {
        var below = GlobPattern.AllBelowRegex(glob);
        return new FilterRule(include, flag, glob, GlobPattern.Compile(glob),
            below is null ? null : new Regex(below, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Singleline));
    }

    /// <summary>A regular-expression rule, compiled like the file's patterns (<see cref="PathFilter.Compile"/>).</summary>
    public static FilterRule RegularExpression(bool include, string flag, string pattern)
    {
        var regex = PathFilter.Compile(pattern);
        return new FilterRule(include, flag, pattern, regex, PathFilter.CannotLookPastItsMatch(pattern) ? regex : null);
    }

    /// <summary>True when the rule matches the path (a timed-out match counts as a match, like the file's patterns).</summary>
    public bool Matches(string relativePath)
    {
        try { return Regex.IsMatch(relativePath); }
        catch (RegexMatchTimeoutException) { return true; }
    }

    /// <summary>The same rule: what it includes or excludes and how it matches (the flag that gave it is not compared:
    /// <c>--exclude-regex</c> and <c>--exclude-from</c> may give the very same rule).</summary>
    public bool Equals(FilterRule? other) =>
        other is not null && Include == other.Include && Pattern == other.Pattern
        && PathFilter.SamePattern(Regex, other.Regex) && PathFilter.SamePattern(AllBelow, other.AllBelow);

    public override int GetHashCode() => HashCode.Combine(Include, Pattern);

    /// <summary>True when the rule matches every path below the folder (relative, ending in '/').</summary>
    public bool MatchesAllBelow(string folderPath)
    {
        try { return AllBelow?.IsMatch(folderPath) == true; }
        catch (RegexMatchTimeoutException) { return false; }
    }
}
