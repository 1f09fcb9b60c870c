using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// The command-line filters, with <c>aws s3 sync</c>'s meaning: <c>--exclude</c>/<c>--include</c> take globs
/// (<see cref="GlobPattern"/>) matched against the path relative to the folder, <c>--exclude-regex</c>/
/// <c>--include-regex</c> regular expressions, <c>--exclude-from FILE</c> one glob a line. They apply in the order
/// given, after the site's <c>exclusions</c>/<c>inclusions</c>, and the last one that matches a path decides.
/// </summary>
public sealed class FilterOptions
{
    public Option<string[]> Exclude { get; } = new("--exclude") { Description = "Skip paths matching this glob (* crosses /; repeatable; the last matching filter wins)", HelpName = "GLOB" };
    public Option<string[]> Include { get; } = new("--include") { Description = "Take back paths matching this glob that an earlier filter excluded (repeatable)", HelpName = "GLOB" };
    public Option<string[]> ExcludeRegex { get; } = new("--exclude-regex") { Description = "Skip paths matching this regular expression (unanchored, like exclusions; repeatable)", HelpName = "REGEX" };
    public Option<string[]> IncludeRegex { get; } = new("--include-regex") { Description = "Take back paths matching this regular expression (repeatable)", HelpName = "REGEX" };
    public Option<string[]> ExcludeFrom { get; } = new("--exclude-from") { Description = "Skip paths matching the globs in FILE, one a line (# comments and blank lines ignored)", HelpName = "FILE" };

    private IEnumerable<Option<string[]>> All => [Exclude, Include, ExcludeRegex, IncludeRegex, ExcludeFrom];

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>
    /// The rules in command-line order. Prints one line per bad pattern or unreadable file and returns null on any.
    /// </summary>
    public IReadOnlyList<FilterRule>? Rules(ParseResult result, TextWriter error)
    {
        var rules = new List<FilterRule>();
        var ok = true;
        foreach (var (option, value) in InOrder(result))
        {
            if (option == ExcludeFrom)
            {
                string[] lines;
                try { lines = ReadList(value); }
                catch (UserFileException e)
                {
                    error.WriteLine($"s3sync: --exclude-from: {value}: {e.Message}");
                    ok = false;
                    continue;
                }
                for (var n = 0; n < lines.Length; n++)
                {
                    var line = lines[n].TrimEnd('\r');
                    if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
                    ok &= TryAdd(rules, false, $"--exclude-from {value}:{n + 1}", line, glob: true, error);
                }
                continue;
            }
            ok &= TryAdd(rules, option == Include || option == IncludeRegex, option.Name, value, glob: option == Exclude || option == Include, error);
        }
        return ok ? rules : null;
    }

    /// <summary>The lines of an <c>--exclude-from</c> file: a regular file of at most <see cref="UserFile.MaxBytes"/>,
    /// UTF-8 text (read as every file a user names is, so a FIFO or <c>/dev/zero</c> is refused, not read).</summary>
    private static string[] ReadList(string path)
    {
        var bytes = UserFile.Read(path, "a list of patterns");
        string text;
        try { text = new System.Text.UTF8Encoding(false, true).GetString(bytes); }
        catch (System.Text.DecoderFallbackException) { throw new UserFileException("not valid UTF-8 text"); }
        if (text.Contains('\0', StringComparison.Ordinal)) throw new UserFileException("not a text file (it holds NUL bytes)");
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        return text.Split('\n');
    }

    private static bool TryAdd(List<FilterRule> rules, bool include, string flag, string pattern, bool glob, TextWriter error)
    {
        if (pattern.Length == 0)
        {
            error.WriteLine($"s3sync: {flag}: empty pattern");
            return false;
        }
        try
        {
            rules.Add(glob ? FilterRule.Glob(include, flag, pattern) : FilterRule.RegularExpression(include, flag, pattern));
            return true;
        }
        catch (RegexParseException e)
        {
            // The only way a glob fails to translate is a class range written backwards ([z-a]).
            error.WriteLine(glob
                ? $"s3sync: {flag}: invalid pattern '{pattern}': a character range in [] is in reverse order"
                : $"s3sync: {flag}: {ConfigLoader.RegexError(pattern, e)}");
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"s3sync: {flag}: invalid {(glob ? "pattern" : "regular expression")} '{pattern}': {e.Message}");
        }
        return false;
    }

    /// <summary>
    /// Each filter flag's value in the order of the command line: System.CommandLine keeps values per option, and the
    /// order across options is what "the last matching filter wins" needs. Read from the token stream, where a filter
    /// option token is followed by its value (<c>--exclude=x</c> is split into the same two tokens).
    /// </summary>
    private List<(Option<string[]> Option, string Value)> InOrder(ParseResult result)
    {
        var ordered = new List<(Option<string[]>, string)>();
        var tokens = result.Tokens;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Type != TokenType.Option || All.FirstOrDefault(o => o.Name == tokens[i].Value || o.Aliases.Contains(tokens[i].Value)) is not { } option) continue;
            ordered.Add((option, tokens[i + 1].Value));
            i++;
        }
        // The token stream and the parsed values must agree; if they ever do not, fall back to the parsed values
        // (grouped per flag) rather than guess.
        var parsed = All.Sum(o => result.GetValue(o)?.Length ?? 0);
        if (ordered.Count == parsed) return ordered;
        return [.. All.SelectMany(o => (result.GetValue(o) ?? []).Select(v => (o, v)))];
    }
}
