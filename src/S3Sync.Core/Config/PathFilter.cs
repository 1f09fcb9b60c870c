using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>
/// Inclusions and exclusions, matched against the path relative to <c>local_path</c> with '/' separators
/// (unanchored, like the original's Go regexps). A path is synced when it matches an inclusion (all do
/// when there are none) and no exclusion. Patterns run on the non-backtracking engine so no pattern can
/// hang a run; the few constructs it lacks fall back to the backtracking engine with a match timeout.
/// Command-line <see cref="Rules"/> come after: the last rule matching a path decides, else the lists do.
/// Two filters are equal when they would decide every path the same way for the same reason: the same patterns with
/// the same options, in the same order (a reload compares sites with it).
/// </summary>
public sealed class PathFilter : IEquatable<PathFilter>
{
    public static readonly PathFilter All = new([], []);

    private readonly Regex[] _inclusions;
    private readonly Regex[] _exclusions;
    private readonly Regex[] _folderExclusions;
    private readonly FilterRule[] _rules;

    public PathFilter(IReadOnlyList<Regex> inclusions, IReadOnlyList<Regex> exclusions, IReadOnlyList<FilterRule>? rules = null)
    {
        _inclusions = [.. inclusions];
        _exclusions = [.. exclusions];
        _folderExclusions = [.. exclusions.Where(r => CannotLookPastItsMatch(r.ToString()))];
        _rules = [.. rules ?? []];
    }

    /// <summary>This filter with <paramref name="rules"/> added after its own rules.</summary>
    public PathFilter WithRules(IReadOnlyList<FilterRule> rules) =>
        rules.Count == 0 ? this : new PathFilter(_inclusions, _exclusions, [.. _rules, .. rules]) { Shard = Shard };

    /// <summary>This filter keeping only the paths of <paramref name="shard"/> (before any pattern: a path of another
    /// shard is never this run's, whatever an include says).</summary>
    public PathFilter WithShard(Shard shard) => new(_inclusions, _exclusions, _rules) { Shard = shard };

    /// <summary>The shard this filter keeps, or null for the whole site.</summary>
    public Shard? Shard { get; private init; }

    /// <summary>The command-line rules, in the order they apply.</summary>
    public IReadOnlyList<FilterRule> Rules => _rules;

    /// <summary>
    /// True when every path below the folder <paramref name="folderPath"/> (relative, ending in '/') is excluded, so a
    /// walk need not enter it (nor watch it, nor fail on it when it cannot be read). That holds when an exclusion
    /// matches the folder's own path and cannot look past the end of its match: every path below extends the
    /// folder's, so the same match is found in each. An exclusion with an end anchor, a word boundary or a lookahead
    /// (<c>$</c>, <c>\z</c>, <c>\Z</c>, <c>\b</c>, <c>\B</c>, <c>(?=</c>, <c>(?!</c>) is never used for this, and a match
    /// that times out does not count.
    /// </summary>
    /// <remarks>With command-line rules: an exclude rule that matches every path below counts when no include rule
    /// comes after it, and the lists count only when no include rule exists at all (a later include could take a
    /// path back).</remarks>
    public bool ExcludesAllBelow(string folderPath)
    {
        if (Shard is { } shard && !shard.Owns(folderPath)) return true;
        var laterInclude = false;
        for (var i = _rules.Length - 1; i >= 0; i--)
        {
            if (_rules[i].Include) { laterInclude = true; continue; }
            if (!laterInclude && _rules[i].MatchesAllBelow(folderPath)) return true;
        }
        if (laterInclude) return false;
        foreach (var r in _folderExclusions)
        {
            try { if (r.IsMatch(folderPath)) return true; }
            catch (RegexMatchTimeoutException) { }
        }
        return false;
    }

    internal static bool CannotLookPastItsMatch(string pattern) =>
        !pattern.Contains('$') && !new[] { @"\z", @"\Z", @"\b", @"\B", @"\G", "(?=", "(?!" }.Any(t => pattern.Contains(t, StringComparison.Ordinal));

    public IReadOnlyList<string> Inclusions => [.. _inclusions.Select(r => r.ToString())];

    public IReadOnlyList<string> Exclusions => [.. _exclusions.Select(r => r.ToString())];

    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    public bool Equals(PathFilter? other) =>
        other is not null && (ReferenceEquals(this, other)
            || SamePatterns(_inclusions, other._inclusions) && SamePatterns(_exclusions, other._exclusions) && _rules.SequenceEqual(other._rules) && Shard == other.Shard);

    public override bool Equals(object? obj) => Equals(obj as PathFilter);

    public override int GetHashCode() => HashCode.Combine(_inclusions.Length, _exclusions.Length, _rules.Length);

    /// <summary>True when both lists hold the same patterns, compiled the same way, in the same order.</summary>
    internal static bool SamePatterns(IReadOnlyList<Regex> a, IReadOnlyList<Regex> b) =>
        a.Count == b.Count && a.Zip(b).All(p => SamePattern(p.First, p.Second));

    /// <summary>Regex has no value equality: the pattern, the options and the match timeout say what it does.</summary>
    internal static bool SamePattern(Regex? a, Regex? b) =>
        ReferenceEquals(a, b) || a is not null && b is not null && a.ToString() == b.ToString() && a.Options == b.Options && a.MatchTimeout == b.MatchTimeout;

    /// <summary>Compiles a pattern, or returns the reason it cannot be used.</summary>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
    }

    /// <summary>True when the relative path is to be synced. A pattern that times out counts as matching, so an
    /// exclusion errs towards leaving the file alone.</summary>
    public bool Includes(string relativePath)
    {
        if (Shard is { } shard && !shard.Owns(relativePath)) return false;
        for (var i = _rules.Length - 1; i >= 0; i--)
            if (_rules[i].Matches(relativePath)) return _rules[i].Include;
        if (_inclusions.Length > 0 && !_inclusions.Any(r => SafeMatch(r, relativePath))) return false;
        return !_exclusions.Any(r => SafeMatch(r, relativePath));
    }

    private static bool SafeMatch(Regex regex, string path)
    {
        try { return regex.IsMatch(path); }
        catch (RegexMatchTimeoutException) { return true; }
    }
}
