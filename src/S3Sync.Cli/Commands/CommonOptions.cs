using System.CommandLine;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>
/// Options every command that reads a configuration takes: a file (<c>-c FILE</c>) or the ad-hoc form
/// (<c>DIR s3://BUCKET[/PREFIX]</c>), the flags that mirror site keys (<see cref="SiteOverrides"/>), site selection
/// and logging. Both forms end in <see cref="ConfigLoader.Resolve"/>, so a value is checked the same way wherever
/// it comes from.
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
        !_listing && result.GetValue(Source) is { } first && first.StartsWith(S3Url.Scheme, StringComparison.OrdinalIgnoreCase)
        && (result.GetValue(Destination) is not { } second || !second.StartsWith(S3Url.Scheme, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when <c>--quiet</c> was given.</summary>
    public bool IsQuiet(ParseResult result) => result.GetValue(Quiet);

    /// <summary>--max-delete of sync and restore: false (after a one-line error) when it is not a valid limit.</summary>
    public static bool TryGetMaxDelete(ParseResult result, Option<string?> maxDelete, TextWriter error, out DeleteLimit? limit)
    {
        limit = null;
        if (result.GetValue(maxDelete) is not { } text) return true;
        if (!DeleteLimit.TryParse(text, out var parsed))
        {
            error.WriteLine($"s3sync: --max-delete: {DeleteLimit.Problem(text)}");
            return false;
        }
        limit = parsed;
        return true;
    }

    /// <summary>
    /// --workers of sync and restore: null when not given; false (after a one-line error naming the flag) unless it is
    /// a whole number from 1 to <see cref="Defaults.MaxUploadWorkers"/>. Parsed here, not by System.CommandLine: its
    /// error for a number past int names a .NET type.
    /// </summary>
    public static bool TryGetWorkers(ParseResult result, Option<string?> workers, TextWriter error, out int? n)
    {
        n = null;
        if (result.GetValue(workers) is not { } text) return true;
        if (!int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > Defaults.MaxUploadWorkers)
        {
            error.WriteLine($"s3sync: --workers: must be a whole number from 1 to {Defaults.MaxUploadWorkers}, got '{text}'");
            return false;
        }
        n = parsed;
        return true;
    }

    /// <summary>Loads the configuration and keeps the selected sites. Errors are printed and mapped to exit 2.</summary>
    public (SyncConfig? Config, bool JsonLogs, int ExitCode) Load(ParseResult result, TextWriter error) =>
        Load(result, error, AwsEnvironment.FromProcess());

    /// <summary><see cref="Load(ParseResult, TextWriter)"/> with a given environment (tests).</summary>
    public (SyncConfig? Config, bool JsonLogs, int ExitCode) Load(ParseResult result, TextWriter error, AwsEnvironment environment)
    {
        var loaded = LoadDocument(result, error, environment);
        if (loaded is null) return (null, false, ExitCodes.Usage);
        var config = loaded.Config;
        if (result.GetValue(LogLevel) is { } level)
        {
            if (!ConfigLoader.TryParseLogLevel(level, out var verbosity))
            {
                error.WriteLine($"s3sync: --loglevel: unknown log level '{level}' (valid: trace, debug, info, warn, error, fatal, panic)");
                return (null, false, ExitCodes.Usage);
            }
            config = config with { LogLevel = verbosity };
        }
        else if (result.GetValue(VeryVerbose)) config = config with { LogLevel = LogVerbosity.Trace };
        else if (result.GetValue(Verbose)) config = config with { LogLevel = LogVerbosity.Debug };
        if (IsQuiet(result) && config.LogLevel < LogVerbosity.Warn) config = config with { LogLevel = LogVerbosity.Warn };
        var format = result.GetValue(LogFormat) ?? "text";
        if (format is not ("text" or "json"))
        {
            error.WriteLine($"s3sync: --log-format: '{format}' is not text or json");
            return (null, false, ExitCodes.Usage);
        }
        return (config, format == "json", ExitCodes.Ok);
    }

    /// <summary>A resolved configuration and where values not from the file came from (key to flag or variable).</summary>
    /// <param name="Indices">The position in the file of each site of <c>Config.Sites</c> (they differ with <c>--site</c>).</param>
    public sealed record Loaded(SyncConfig Config, IReadOnlyDictionary<string, string> Origin, AwsEnvironment Environment, IReadOnlyList<int> Indices);

    /// <summary>
    /// File or ad-hoc form, then the flags on the selected sites, then the AWS environment below both, then
    /// <see cref="ConfigLoader.Resolve"/>. Prints every error (one line each) and returns null on any.
    /// </summary>
    public Loaded? LoadDocument(ParseResult result, TextWriter error, AwsEnvironment environment)
    {
        var path = result.GetValue(Config);
        var dir = result.GetValue(Source);
        var url = _listing ? null : result.GetValue(Destination);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        ConfigDocument document;
        KeyLines lines;
        string file;
        if (path is not null && dir is not null)
        {
            error.WriteLine(_listing ? "s3sync: give either -c FILE or s3://BUCKET[/PREFIX], not both" : "s3sync: give either -c FILE or DIR s3://BUCKET[/PREFIX], not both");
            return null;
        }
        if (path is null && dir is null)
        {
            error.WriteLine(_listing ? "s3sync: give s3://BUCKET[/PREFIX], or -c FILE (see --help)" : "s3sync: give -c FILE, or DIR s3://BUCKET[/PREFIX] (see --help)");
            return null;
        }
        if (Overrides.Conflict(result) is { } conflict)
        {
            error.WriteLine($"s3sync: {conflict}");
            return null;
        }
        if (AwsEnvironment.SharedFileProblem(Environment.GetEnvironmentVariable) is { } shared)
        {
            error.WriteLine($"s3sync: {shared}");
            return null;
        }
        if (path is not null)
        {
            try
            {
                (document, lines) = ConfigLoader.ParseFile(path);
                // Warned as soon as the file is read, whatever else is wrong with the command line.
                WarnIfSecretsReadable(path, document.SecretAccessKey is not null || (document.Sites ?? []).Any(s => s?.SecretAccessKey is not null), error);
            }
            catch (ConfigException e)
            {
                Print(e, origin, error);
                return null;
            }
            file = path;
        }
        else
        {
            // The download direction, as the peers do it: s3://BUCKET[/PREFIX] DIR (the folder need not exist yet).
            var download = IsDownload(result);
            if (download) (dir, url) = (url, dir);
            if (_listing) (dir, url) = ("/", dir);
            if (url is null || dir is null)
            {
                error.WriteLine(download ? $"s3sync: missing the folder after {url}: give DIR" : $"s3sync: missing the destination after {dir}: give s3://BUCKET[/PREFIX]");
                return null;
            }
            if (!S3Url.TryParse(url, out var target, out var why))
            {
                error.WriteLine($"s3sync: {why}");
                return null;
            }
            var full = Path.GetFullPath(dir!);
            if (download ? File.Exists(full) : !Directory.Exists(full))
            {
                error.WriteLine($"s3sync: DIR: '{dir}' " + (File.Exists(full) ? "is a file, not a folder" : "does not exist"));
                return null;
            }
            file = "command line";
            lines = new KeyLines(file);
            document = new ConfigDocument { Sites = [new SiteDocument { LocalPath = full, Bucket = target.Bucket, BucketPath = target.Prefix }] };
            origin["sites[0].local_path"] = "DIR";
            origin["sites[0].bucket"] = url;
            origin["sites[0].bucket_path"] = url;
        }

        var all = document.Sites ?? [];
        var selected = Enumerable.Range(0, all.Count).ToList();
        var wanted = result.GetValue(Sites) ?? [];
        if (wanted.Length > 0)
        {
            var names = all.Select(s => ConfigLoader.SiteName(s ?? new SiteDocument())).ToList();
            var unknown = wanted.Where(w => !names.Contains(w)).ToList();
            if (unknown.Count > 0)
            {
                error.WriteLine($"s3sync: {file}: --site: no site named '{unknown[0]}' (sites: {string.Join(", ", names)})");
                return null;
            }
            selected = [.. selected.Where(i => wanted.Contains(names[i]))];
        }
        for (var i = 0; i < all.Count; i++) all[i] ??= new SiteDocument();
        foreach (var (key, flag) in Overrides.Apply(result, document, selected)) origin[key] = flag;
        var profileProblems = new List<(string Key, string Message)>();
        foreach (var (key, source) in environment.Apply(document, profileProblems)) origin[key] = source;
        if (profileProblems.Count > 0)
        {
            Print(new ConfigException([.. profileProblems.Select(x => lines.ErrorAt(x.Key, x.Message, x.Key.StartsWith("sites[", StringComparison.Ordinal) ? x.Key[..(x.Key.IndexOf(']', StringComparison.Ordinal) + 1)] : null))]), origin, error);
            return null;
        }

        SyncConfig config;
        try
        {
            config = ConfigLoader.Resolve(document, file, lines);
        }
        catch (ConfigException e)
        {
            Print(e, origin, error);
            return null;
        }
        if (selected.Count != config.Sites.Count) config = config with { Sites = [.. selected.Select(i => config.Sites[i])] };
        // Applied here, not in Load, so that config check shows the timeout a run would use (and refuses a bad one).
        if (result.GetValue(Timeout) is { } timeoutText)
        {
            if (!int.TryParse(timeoutText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > Defaults.MaxRequestTimeoutSeconds)
            {
                error.WriteLine($"s3sync: --timeout: must be a whole number of seconds from 1 to {Defaults.MaxRequestTimeoutSeconds}, got '{timeoutText}'");
                return null;
            }
            config = config with { RequestTimeout = seconds };
            origin["request_timeout"] = "--timeout";
        }
        if (_listing) return new Loaded(config, origin, environment, selected);
        if (Filters.Rules(result, error) is not { } rules) return null;
        if (rules.Count > 0) config = config with { Sites = [.. config.Sites.Select(s => s with { Filter = s.Filter.WithRules(rules) })] };
        return new Loaded(config, origin, environment, selected);
    }

    private static void Print(ConfigException e, IReadOnlyDictionary<string, string> origin, TextWriter error)
    {
        foreach (var line in e.Errors.Count > 0 ? e.Errors.Select(x => SiteOverrides.Describe(x, origin)) : [e.Message])
            error.WriteLine($"s3sync: {line}");
    }

    /// <summary>
    /// A config holding secret keys should be readable by its owner only (like ~/.ssh keys and ~/.aws/credentials).
    /// It is a warning, not an error: a container may mount it read-only with broad modes on purpose.
    /// </summary>
    internal static void WarnIfSecretsReadable(string path, bool holdsSecrets, TextWriter error)
    {
        if (OperatingSystem.IsWindows() || !holdsSecrets) return;
        UnixFileMode mode;
        try { mode = File.GetUnixFileMode(path); }
        catch (IOException) { return; }
        catch (UnauthorizedAccessException) { return; }
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if ((mode & Others) == 0) return;
        var octal = Convert.ToString((int)mode & 0x1FF, 8);
        error.WriteLine($"s3sync: warning: {path} holds secret keys and is readable by {((mode & UnixFileMode.GroupRead) != 0 ? "its group" : "")}{((mode & Others) == Others ? " and " : "")}{((mode & UnixFileMode.OtherRead) != 0 ? "everyone" : "")} (mode {octal}); run: chmod 600 {path}");
    }
}
