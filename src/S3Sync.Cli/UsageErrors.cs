using System.CommandLine;
using System.CommandLine.Parsing;
using S3Sync.Config;

namespace S3Sync.Cli;

/// <summary>
/// Parse errors as one line each. An option the command does not know is called that, in every form of the command
/// line (System.CommandLine says "Unrecognized command or argument" in one and nothing in the other, where DIR took
/// it), with the nearest option the command has.
/// </summary>
public static class UsageErrors
{
    public static string Describe(ParseError error, ParseResult parse)
    {
        if (UnknownToken(error.Message) is not { } token || !token.StartsWith('-')) return error.Message;
        var command = parse.CommandResult.Command;
        var names = Options(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
        var name = token.Split('=', 2)[0];
        // Closest compares with '-' read as '_' (it was written for config keys); option names hold no '_'.
        var hint = ConfigLoader.Closest(name, names.Select(n => n.Replace('-', '_')))?.Replace('_', '-');
        var where = command is RootCommand ? "" : $" for {CommandPath(command)}";
        return $"unknown option '{name}'{where}" + (hint is null ? "" : $" (did you mean '{hint}'?)");
    }

    /// <summary>"config check" for the check command; "" for the root.</summary>
    public static string CommandPath(Command command) =>
        string.Join(' ', command.Parents.OfType<Command>().Where(c => c is not RootCommand).Reverse().Select(c => c.Name)
            .Concat(command is RootCommand ? [] : [command.Name]));

    private static IEnumerable<Option> Options(Command command) =>
        command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)));

    /// <summary>The token of "Unrecognized command or argument 'X'." or "unknown option 'X'", else null (no regex:
    /// the AOT binary has little room).</summary>
    private static string? UnknownToken(string message)
    {
        foreach (var head in (string[])["Unrecognized command or argument '", "unknown option '"])
        {
            if (!message.StartsWith(head, StringComparison.Ordinal)) continue;
            var end = message.LastIndexOf('\'');
            return end > head.Length ? message[head.Length..end] : null;
        }
        return null;
    }
}
