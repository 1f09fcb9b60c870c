using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace S3Sync.Cli;

/// <summary>
/// An "Examples:" section at the end of each command's <c>--help</c>. Kept out of the description, which the parent's
/// help lists as the command's one-line summary.
/// </summary>
public static class HelpExamples
{
    private static readonly ConditionalWeakTable<Command, string[]> Table = [];

    /// <summary>Sets a command's examples, one command line each.</summary>
    public static TCommand WithExamples<TCommand>(this TCommand command, params string[] examples) where TCommand : Command
    {
        Table.AddOrUpdate(command, examples);
        return command;
    }

    /// <summary>A command's examples (none when it has no section), for the generated reference.</summary>
    public static IReadOnlyList<string> Of(Command command) => Table.TryGetValue(command, out var examples) ? examples : [];

    /// <summary>Adds the section to the help of every command under <paramref name="root"/>.</summary>
    public static void Enable(RootCommand root)
    {
        if (root.Options.OfType<HelpOption>().FirstOrDefault() is not { Action: HelpAction help } option) return;
        option.Action = new ExamplesAfterHelp(help);
    }

    /// <summary>The standard help, then the command's examples.</summary>
    private sealed class ExamplesAfterHelp(HelpAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = help.Invoke(parseResult);
            if (Table.TryGetValue(parseResult.CommandResult.Command, out var examples) && examples.Length > 0)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var example in examples) output.WriteLine("  " + example);
                output.WriteLine();
            }
            return code;
        }
    }
}
