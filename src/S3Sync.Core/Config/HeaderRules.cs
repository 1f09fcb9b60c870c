using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>
/// A site's <c>headers</c> rules in file order: the first whose <c>match</c> finds the relative path gives the object's
/// headers; flags (<c>--cache-control</c>, ...) then replace the fields they set, for every path. A pattern that times
/// out matches nothing (the object keeps the defaults) rather than failing the upload. Two are equal when they give
/// every path the same headers by the same rules (a reload compares sites with it).
/// </summary>
public sealed class HeaderRules(IReadOnlyList<HeaderRule> rules, HeaderSet? overrides = null) : IEquatable<HeaderRules>
{
    public static readonly HeaderRules None = new([]);

    public IReadOnlyList<HeaderRule> Rules => rules;

    /// <summary>The fields set by flags, over whatever rule matches.</summary>
    public HeaderSet Overrides { get; } = overrides ?? HeaderSet.Empty;

    public bool IsEmpty => rules.Count == 0 && Overrides.IsEmpty;

    public bool Equals(HeaderRules? other) =>
        other is not null && (ReferenceEquals(this, other) || Rules.SequenceEqual(other.Rules) && Overrides.Equals(other.Overrides));

    public override bool Equals(object? obj) => Equals(obj as HeaderRules);

    public override int GetHashCode() => HashCode.Combine(rules.Count, Overrides);

    public HeaderSet For(string relativePath)
    {
        foreach (var rule in rules)
        {
            bool matched;
            try { matched = rule.Match.IsMatch(relativePath); }
            catch (RegexMatchTimeoutException) { matched = false; }
            if (matched) return rule.Headers.With(Overrides);
        }
        return HeaderSet.Empty.With(Overrides);
    }
}
