using System.CommandLine;
using S3Sync.Cli.Commands;
using S3Sync.State;

namespace S3Sync.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // `s3sync --version` alone never gets here: native/main.c answers it before the runtime starts (the same text,
        // from the same InformationalVersion). With anything more on the line, System.CommandLine answers as always.
        // --log-file: stderr itself becomes the file once the command line parsed, before the command writes anything
        // (every writer of stderr follows); a usage error stays on the terminal and creates no file.
        // Console.Error is not touched before that: .NET's stderr writer holds a duplicate of the descriptor it found.
        return RunAsync(args, Console.Out, error: null, LogFile.Redirect);
    }

    /// <summary>The informational version (<c>0.1.0+commit</c>), as <c>--version</c> prints it.</summary>
    public static string Version => BuildInfo.Version;

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("s3sync keeps local folders mirrored in S3 or any S3-compatible store, compared by content.")
            .WithExamples(
                "s3sync sync -c /etc/s3sync/config.yml",
                "s3sync sync ./public s3://my-bucket/www --delete",
                "s3sync verify -c /etc/s3sync/config.yml",
                "s3sync config check -c /etc/s3sync/config.yml");
        root.Subcommands.Add(SyncCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(RestoreCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(LsCommand.Create());
        root.Subcommands.Add(ConfigCommand.Create());
        root.Subcommands.Add(CompletionCommand.Create(BuildRoot));
        HelpExamples.Enable(root);
        return root;
    }

    /// <summary>Runs a command line with the given writers; parse errors exit 2 with a one-line message.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, logFile: null, cancellationToken);

    /// <summary><see cref="RunAsync(string[], TextWriter, TextWriter, CancellationToken)"/>; <paramref name="logFile"/>
    /// takes <c>--log-file</c>'s value once the command line parsed (null, or the one line it was refused with); a null
    /// <paramref name="error"/> is <see cref="Console.Error"/>, read only after that.</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter? error, Func<string, string?>? logFile, CancellationToken cancellationToken = default)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            error ??= Console.Error;
            foreach (var e in UsageErrors.OnePerMistake(parse, args)) error.WriteLine($"s3sync: {ParseErrors.Describe(UsageErrors.Describe(e, parse))}");
            var path = UsageErrors.CommandPath(parse.CommandResult.Command);
            error.WriteLine($"Run 's3sync {(path.Length == 0 ? "" : path + " ")}--help' for usage.");
            return ExitCodes.Usage;
        }
        if (logFile is not null && parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--log-file") is Option<string?> logOption
            && parse.GetValue(logOption) is { } logPath && logFile(logPath) is { } refused)
        {
            Console.Error.WriteLine($"s3sync: {refused}");
            return ExitCodes.Usage;
        }
        error ??= Console.Error;
        // watch handles SIGTERM/SIGINT itself (its stop waits for uploads); every other command through Interruption.
        using var interruption = parse.CommandResult.Command.Name == "watch" ? null : new Interruption(cancellationToken, error);
        try
        {
            var code = await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            }, interruption?.Token ?? cancellationToken).ConfigureAwait(false);
            if (interruption is { Signalled: true } || code == ExitCodes.Interrupted)
            {
                error.WriteLine("s3sync: interrupted");
                return ExitCodes.Interrupted;
            }
            return code;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("s3sync: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (S3Sync.State.StateFolderException e)
        {
            // A state folder that is not this user's alone: a setup error, like a bad configuration.
            error.WriteLine($"s3sync: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e)
        {
            // Never a stack trace: one line, and the "could not finish" code.
            error.WriteLine($"s3sync: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.Failed;
        }
    }
}
