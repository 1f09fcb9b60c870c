namespace S3Sync.Config;

/// <summary>
/// One filter of the command line: its flag (<c>--exclude</c>, <c>--include</c>, <c>--exclude-regex</c>,
/// <c>--include-regex</c>, <c>--exclude-from</c>) and its value. A request keeps them in command-line order, because
/// the last filter that matches a path decides.
/// </summary>
public readonly record struct FilterFlag(string Flag, string Value)
{
    public const string Exclude = "--exclude";
    public const string Include = "--include";
    public const string ExcludeRegex = "--exclude-regex";
    public const string IncludeRegex = "--include-regex";
    public const string ExcludeFrom = "--exclude-from";
}
