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
        if (UnknownToken(error.Message) is not { } token) return error.Message;
        var command = parse.CommandResult.Command;
        if (!token.StartsWith('-'))
        {
            // A word where a command was expected (`s3sync snyc`, `s3sync config chek`): the nearest command.
            if (command.Subcommands.Count == 0) return error.Message;
            var guess = ConfigLoader.Closest(token, command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name)).Distinct());
            var under = command is RootCommand ? "" : $" for {CommandPath(command)}";
            return $"unknown command '{token}'{under}" + (guess is null ? $" (commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))})" : $" (did you mean '{guess}'?)");
        }
        var names = Options(command).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
        var name = token.Split('=', 2)[0];
        // Closest compares with '-' read as '_' (it was written for config keys); option names hold no '_'.
        var hint = ConfigLoader.Closest(name, names.Select(n => n.Replace('-', '_')))?.Replace('_', '-');
        var where = command is RootCommand ? "" : $" for {CommandPath(command)}";
        return $"unknown option '{name}'{where}" + (hint is null ? "" : $" (did you mean '{hint}'?)");
    }

    /// <summary>
    /// The errors to print: one per mistake. An unknown option followed by its value (<c>--max-ages 24h</c>) is one
    /// mistake, but System.CommandLine reports the value too ("Unrecognized command or argument '24h'"): that second
    /// error is dropped when the word right before the value is an option reported unknown. So is "Required command
    /// was not provided" beside another error (the unknown word was meant as the command).
    /// </summary>
    public static IEnumerable<ParseError> OnePerMistake(ParseResult parse, IReadOnlyList<string> args)
    {
        var unknown = parse.Errors.Select(e => UnknownToken(e.Message)).Where(t => t is not null && t.StartsWith('-')).Select(t => t!).ToHashSet(StringComparer.Ordinal);
        var others = parse.Errors.Any(e => !e.Message.StartsWith("Required command was not provided", StringComparison.Ordinal));
        foreach (var error in parse.Errors)
        {
            // `s3sync snyc`: the unknown word is the mistake; that no command was then given is not a second one.
            if (others && error.Message.StartsWith("Required command was not provided", StringComparison.Ordinal)) continue;
            if (UnknownToken(error.Message) is { } token && !token.StartsWith('-') && unknown.Count > 0 && FollowsUnknown(token, args, unknown)) continue;
            yield return error;
        }
    }

    private static bool FollowsUnknown(string token, IReadOnlyList<string> args, HashSet<string> unknown)
    {
        for (var i = 1; i < args.Count; i++)
            if (args[i] == token && unknown.Contains(args[i - 1]) && !args[i - 1].Contains('=', StringComparison.Ordinal)) return true;
        return false;
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
