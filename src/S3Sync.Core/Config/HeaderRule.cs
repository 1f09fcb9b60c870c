using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>One entry of <c>headers</c>: a regular expression on the relative path (unanchored, like
/// <c>exclusions</c>) and the headers of the objects it matches.</summary>
public sealed record HeaderRule(Regex Match, HeaderSet Headers)
{
    /// <summary>The same pattern, compiled the same way, giving the same headers.</summary>
    public bool Equals(HeaderRule? other) =>
        other is not null && PathFilter.SamePattern(Match, other.Match) && Headers.Equals(other.Headers);

    public override int GetHashCode() => HashCode.Combine(Match.ToString(), Headers);
}
