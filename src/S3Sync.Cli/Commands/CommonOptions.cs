using System.CommandLine;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// Options every command that reads a configuration takes: a file (<c>-c FILE</c>) or the ad-hoc form
/// (<c>DIR s3://BUCKET[/PREFIX]</c>), the flags that mirror site keys (<see cref="SiteOverrides"/>), site selection
/// and logging. The command line becomes a <see cref="ConfigRequest"/>; the core's <see cref="ConfigAssembly"/> makes
/// the configuration from it.
/// </summary>
public sealed class CommonOptions
{
    public Option<string?> Config { get; } = new("--config", "-c") { Description = "The configuration file (YAML); or give DIR and s3://BUCKET[/PREFIX] instead", HelpName = "FILE" };
    /// <summary>The first word: DIR, or for <c>restore</c> (whose ad-hoc form is the URL first) and <c>ls</c> S3_URL.</summary>
    public Argument<string?> Source { get; }

    /// <summary>The second word: S3_URL, or for <c>restore</c> DIR (<c>ls</c> has none).</summary>
    public Argument<string?> Destination { get; }
    public Option<string[]> Sites { get; } = new("--site") { Description = "Only the site with this name (repeatable)", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
    public SiteOverrides Overrides { get; } = new();
    public FilterOptions Filters { get; } = new();
    public Option<string?> LogLevel { get; } = new("--loglevel") { Description = "Override loglevel: trace, debug, info, warn, error, fatal, panic", HelpName = "LEVEL" };
    public Option<string?> LogFormat { get; } = new("--log-format") { Description = "Log format on stderr: text (default) or json (one JSON object a line, for containers)", HelpName = "FORMAT" };
    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Debug logs (loglevel debug); -vv for trace" };
    public Option<bool> VeryVerbose { get; } = new("-vv") { Description = "Trace logs (loglevel trace)" };
    public Option<bool> Quiet { get; } = new("--quiet", "-q", "--only-show-errors") { Description = "Only warnings and errors: no progress line, no info logs, no summary (--only-show-errors: aws's name)" };
    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Append everything written on stderr (logs, errors) to FILE instead; a new FILE is made 0600, a symbolic link or FIFO is refused", HelpName = "FILE" };
    public Option<string?> Timeout { get; } = new("--timeout") { Description = $"Seconds one S3 request may take, its whole answer included (overrides request_timeout; default {Defaults.RequestTimeoutSeconds})", HelpName = "SECONDS" };

    /// <summary>ls: the one argument is the URL to list (<c>s3://BUCKET[/PREFIX]</c>), and there is no folder and no
    /// filter; the site's local_path (never read) is the current folder.</summary>
    private readonly bool _listing;

    /// <param name="urlFirst">The help names the words in the order that works for restore: <c>[S3_URL [DIR]]</c>.</param>
    /// <param name="listing">ls: one word, the URL to list.</param>
    public CommonOptions(bool urlFirst = false, bool listing = false)
    {
        _listing = listing;
        Source = listing
            ? new("S3_URL") { Description = "s3://BUCKET[/PREFIX] to list (instead of -c FILE)", Arity = ArgumentArity.ZeroOrOne }
            : urlFirst
            ? new("S3_URL") { Description = "Ad-hoc form: s3://BUCKET[/PREFIX] to restore from (instead of -c FILE)", Arity = ArgumentArity.ZeroOrOne }
            : new("DIR") { Description = "Ad-hoc form: the local folder (instead of -c FILE)", Arity = ArgumentArity.ZeroOrOne };
        Destination = urlFirst
            ? new("DIR") { Description = "Ad-hoc form: the folder to restore into", Arity = ArgumentArity.ZeroOrOne }
            : new("S3_URL") { Description = "Ad-hoc form: s3://BUCKET[/PREFIX]", Arity = ArgumentArity.ZeroOrOne };
        LogLevel.CompletionSources.Add("trace", "debug", "info", "warn", "error", "fatal", "panic");
        LogFormat.CompletionSources.Add("text", "json");
        // DIR and S3_URL take any word, so an option this command does not know (`sync -c cfg.yml --dryrun`) would
        // land in DIR and earn a misleading error. A folder whose name starts with '-' can be written ./-name.
        Source.Validators.Add(UnknownOption);
        Destination.Validators.Add(UnknownOption);
    }

    private static void UnknownOption(System.CommandLine.Parsing.ArgumentResult result)
    {
        foreach (var token in result.Tokens)
            if (token.Value.Length > 1 && token.Value[0] == '-')
                result.AddError($"unknown option '{token.Value}'");
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(Source);
        if (!_listing) command.Arguments.Add(Destination);
        command.Options.Add(Config);
        command.Options.Add(Sites);
        Overrides.AddTo(command);
        if (!_listing) Filters.AddTo(command);
        command.Options.Add(LogLevel);
        command.Options.Add(LogFormat);
        command.Options.Add(Verbose);
        command.Options.Add(VeryVerbose);
        command.Options.Add(Quiet);
        command.Options.Add(LogFile);
        command.Options.Add(Timeout);
    }

    /// <summary>True for the ad-hoc download form, <c>s3://BUCKET[/PREFIX] DIR</c> (the URL first).</summary>
    public bool IsDownload(ParseResult result) =>
        !_listing && ConfigRequest.IsDownloadForm(result.GetValue(Source), result.GetValue(Destination));

    /// <summary>True when <c>--quiet</c> was given.</summary>
    public bool IsQuiet(ParseResult result) => result.GetValue(Quiet);

    /// <summary>What the command line says about the configuration, as plain data for <see cref="ConfigAssembly"/>.</summary>
    public ConfigRequest Request(ParseResult result, AwsEnvironment environment) => new()
    {
        ConfigPath = result.GetValue(Config),
        Source = result.GetValue(Source),
        Destination = _listing ? null : result.GetValue(Destination),
        Listing = _listing,
        Sites = result.GetValue(Sites) ?? [],
        Flags = Overrides.Read(result),
        Filters = _listing ? [] : Filters.Read(result),
        Timeout = result.GetValue(Timeout),
        LogLevel = result.GetValue(LogLevel),
        LogFormat = result.GetValue(LogFormat),
        Verbose = result.GetValue(Verbose),
        VeryVerbose = result.GetValue(VeryVerbose),
        Quiet = IsQuiet(result),
        Environment = environment,
    };

    /// <summary>Loads the configuration and keeps the selected sites. Errors are printed and mapped to exit 2.</summary>
    public (SyncConfig? Config, bool JsonLogs, int ExitCode) Load(ParseResult result, TextWriter error) =>
        Load(result, error, AwsEnvironment.FromProcess());

    /// <summary><see cref="Load(ParseResult, TextWriter)"/> with a given environment (tests).</summary>
    public (SyncConfig? Config, bool JsonLogs, int ExitCode) Load(ParseResult result, TextWriter error, AwsEnvironment environment)
    {
        var loaded = Print(ConfigAssembly.Load(Request(result, environment)), error);
        return loaded is null ? (null, false, ExitCodes.Usage) : (loaded.Config, loaded.JsonLogs, ExitCodes.Ok);
    }

    /// <summary>Sync's and restore's configuration: <see cref="Load(ParseResult, TextWriter)"/> with their --max-delete
    /// and --workers checked and applied too. Null (after the error lines) when anything is wrong: exit 2.</summary>
    public AssembledConfig? LoadRun(ParseResult result, TextWriter error, Option<string?> maxDelete, Option<string?> workers) =>
        Print(ConfigAssembly.Load(Request(result, AwsEnvironment.FromProcess()) with { MaxDelete = result.GetValue(maxDelete), Workers = result.GetValue(workers) }), error);

    /// <summary>The configuration without the logging and timeout flags (config check). Prints every error (one line
    /// each) and returns null on any.</summary>
    public AssembledConfig? LoadDocument(ParseResult result, TextWriter error, AwsEnvironment environment) =>
        Print(ConfigAssembly.Resolve(Request(result, environment)), error);

    private static AssembledConfig? Print(ConfigAssemblyResult assembly, TextWriter error)
    {
        foreach (var line in assembly.Warnings.Concat(assembly.Errors)) error.WriteLine($"s3sync: {line}");
        return assembly.Assembled;
    }
}
