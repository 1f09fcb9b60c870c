using System.CommandLine;
using S3Sync.Cli.Commands;

namespace S3Sync.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // `s3sync --version` answers before the command tree is built: scripts and health checks call it often,
        // and it is the start-up figure in the README. Same text as System.CommandLine's --version, written as bytes:
        // Console.Out would first work out the terminal's encoding for one ASCII line.
        if (args is ["--version"])
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(System.Text.Encoding.UTF8.GetBytes(Version + "\n"));
            return Task.FromResult(ExitCodes.Ok);
        }
        // --log-file: stderr itself becomes the file, before anything is written (every writer of stderr follows).
        if (LogFile.Find(args) is { } logFile && LogFile.Redirect(logFile) is { } refused)
        {
            Console.Error.WriteLine($"s3sync: {refused}");
            return Task.FromResult(ExitCodes.Usage);
        }
        return RunAsync(args, Console.Out, Console.Error);
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
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in UsageErrors.OnePerMistake(parse, args)) error.WriteLine($"s3sync: {ParseErrors.Describe(UsageErrors.Describe(e, parse))}");
            var path = UsageErrors.CommandPath(parse.CommandResult.Command);
            error.WriteLine($"Run 's3sync {(path.Length == 0 ? "" : path + " ")}--help' for usage.");
            return ExitCodes.Usage;
        }
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
        catch (S3Sync.Hashing.StateFolderException e)
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
