using System.CommandLine;
using System.CommandLine.Parsing;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// The command-line filters (<c>--exclude</c>, <c>--include</c>, <c>--exclude-regex</c>, <c>--include-regex</c>,
/// <c>--exclude-from FILE</c>): read in command-line order and handed to the core, where
/// <see cref="CommandLineFilters"/> says what they mean.
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

    /// <summary>The filter flags in command-line order, as plain data for the core (<see cref="CommandLineFilters"/>).</summary>
    public IReadOnlyList<FilterFlag> Read(ParseResult result) => [.. InOrder(result).Select(x => new FilterFlag(x.Option.Name, x.Value))];

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
