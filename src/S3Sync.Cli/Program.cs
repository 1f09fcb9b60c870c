using System.CommandLine;
using S3Sync.Cli.Commands;

namespace S3Sync.Cli;

public static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("s3sync keeps local folders mirrored in S3 or any S3-compatible store, compared by content.");
        root.Subcommands.Add(SyncCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        return root;
    }

    /// <summary>Runs a command line with the given writers; parse errors exit 2 with a one-line message.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"s3sync: {e.Message}");
            error.WriteLine("Run 's3sync --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
            // SIGINT/SIGTERM: System.CommandLine cancels the command and answers 130 itself.
            if (code == ExitCodes.Interrupted) error.WriteLine("s3sync: interrupted");
            return code;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("s3sync: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            // Never a stack trace: one line, and the "could not finish" code.
            error.WriteLine($"s3sync: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.Failed;
        }
    }
}
