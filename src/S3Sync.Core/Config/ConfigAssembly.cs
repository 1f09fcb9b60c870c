using System.Globalization;

namespace S3Sync.Config;

/// <summary>
/// Where a command's configuration is assembled: the file or the ad-hoc words, then the flags on the selected sites
/// (flags over the file), then the AWS environment below both, then <see cref="ConfigLoader.Resolve"/> (so a value is
/// checked the same way wherever it comes from), then the command-line filters and the logging flags. Every error is
/// one line without the program's name; the command prints them and exits 2.
/// </summary>
public static class ConfigAssembly
{
    /// <summary>The configuration with the logging flags applied too (every command that runs), and sync's and
    /// restore's --max-delete and --workers.</summary>
    public static ConfigAssemblyResult Load(ConfigRequest request)
    {
        var resolved = Resolve(request);
        if (resolved.Assembled is not { } assembled) return resolved;
        var config = assembled.Config;
        ConfigAssemblyResult Fail(string line) => resolved with { Assembled = null, Errors = [line] };
        if (request.LogLevel is { } level)
        {
            if (!ConfigLoader.TryParseLogLevel(level, out var verbosity))
                return Fail($"--loglevel: unknown log level '{level}' (valid: trace, debug, info, warn, error, fatal, panic)");
            config = config with { LogLevel = verbosity };
        }
        else if (request.VeryVerbose) config = config with { LogLevel = LogVerbosity.Trace };
        else if (request.Verbose) config = config with { LogLevel = LogVerbosity.Debug };
        if (request.Quiet && config.LogLevel < LogVerbosity.Warn) config = config with { LogLevel = LogVerbosity.Warn };
        var format = request.LogFormat ?? "text";
        if (format is not ("text" or "json")) return Fail($"--log-format: '{format}' is not text or json");
        DeleteLimit? limit = null;
        if (request.MaxDelete is { } maxDelete)
        {
            if (!DeleteLimit.TryParse(maxDelete, out var parsed)) return Fail($"--max-delete: {DeleteLimit.Problem(maxDelete)}");
            limit = parsed;
        }
        // Parsed here, not by System.CommandLine: its error for a number past int names a .NET type.
        if (request.Workers is { } workers)
        {
            if (!int.TryParse(workers, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n is < 1 or > Defaults.MaxUploadWorkers)
                return Fail($"--workers: must be a whole number from 1 to {Defaults.MaxUploadWorkers}, got '{workers}'");
            config = config with { UploadWorkers = n, WorkersFixed = true };
        }
        return resolved with { Assembled = assembled with { Config = config, JsonLogs = format == "json", MaxDelete = limit } };
    }

    /// <summary>
    /// The configuration as the file, the words, the site flags, the environment and the filters make it (what
    /// <c>config check</c> prints): the logging flags are not applied; --timeout is.
    /// </summary>
    public static ConfigAssemblyResult Resolve(ConfigRequest request)
    {
        var warnings = new List<string>();
        var errors = new List<string>();
        var assembled = Resolve(request, warnings, errors);
        return new ConfigAssemblyResult(errors.Count == 0 ? assembled : null, warnings, errors);
    }

    private static AssembledConfig? Resolve(ConfigRequest request, List<string> warnings, List<string> errors)
    {
        var listing = request.Listing;
        var path = request.ConfigPath;
        var dir = request.Source;
        var url = listing ? null : request.Destination;
        var environment = request.Environment;
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        ConfigDocument document;
        KeyLines lines;
        string file;
        AssembledConfig? Fail(string line) { errors.Add(line); return null; }
        if (path is not null && dir is not null)
            return Fail(listing ? "give either -c FILE or s3://BUCKET[/PREFIX], not both" : "give either -c FILE or DIR s3://BUCKET[/PREFIX], not both");
        if (path is null && dir is null)
            return Fail(listing ? "give s3://BUCKET[/PREFIX], or -c FILE (see --help)" : "give -c FILE, or DIR s3://BUCKET[/PREFIX] (see --help)");
        if (request.Flags.Conflict() is { } conflict) return Fail(conflict);
        if (environment.SharedFileProblem() is { } shared) return Fail(shared);
        if (path is not null)
        {
            try
            {
                (document, lines) = ConfigLoader.ParseFile(path);
                // Warned as soon as the file is read, whatever else is wrong with the command line.
                if (SecretsReadable(path, document.SecretAccessKey is not null || (document.Sites ?? []).Any(s => s?.SecretAccessKey is not null)) is { } warning)
                    warnings.Add(warning);
            }
            catch (ConfigException e)
            {
                AddAll(e, origin, errors);
                return null;
            }
            file = path;
        }
        else
        {
            // The download direction, as the peers do it: s3://BUCKET[/PREFIX] DIR (the folder need not exist yet).
            var download = request.IsDownload;
            if (download) (dir, url) = (url, dir);
            if (listing) (dir, url) = ("/", dir);
            if (url is null || dir is null)
                return Fail(download ? $"missing the folder after {url}: give DIR" : $"missing the destination after {dir}: give s3://BUCKET[/PREFIX]");
            if (!S3Url.TryParse(url, out var target, out var why)) return Fail(why);
            var full = Path.GetFullPath(dir);
            if (download ? File.Exists(full) : !Directory.Exists(full))
                return Fail($"DIR: '{dir}' " + (File.Exists(full) ? "is a file, not a folder" : "does not exist"));
            file = "command line";
            lines = new KeyLines(file);
            document = new ConfigDocument { Sites = [new SiteDocument { LocalPath = full, Bucket = target.Bucket, BucketPath = target.Prefix }] };
            origin["sites[0].local_path"] = "DIR";
            origin["sites[0].bucket"] = url;
            origin["sites[0].bucket_path"] = url;
        }

        var all = document.Sites ?? [];
        var selected = Enumerable.Range(0, all.Count).ToList();
        var wanted = request.Sites;
        if (wanted.Count > 0)
        {
            var names = all.Select(s => ConfigLoader.SiteName(s ?? new SiteDocument())).ToList();
            var unknown = wanted.Where(w => !names.Contains(w)).ToList();
            if (unknown.Count > 0) return Fail($"{file}: --site: no site named '{unknown[0]}' (sites: {string.Join(", ", names)})");
            selected = [.. selected.Where(i => wanted.Contains(names[i]))];
        }
        for (var i = 0; i < all.Count; i++) all[i] ??= new SiteDocument();
        foreach (var (key, flag) in request.Flags.Apply(document, selected)) origin[key] = flag;
        var profileProblems = new List<(string Key, string Message)>();
        foreach (var (key, source) in environment.Apply(document, profileProblems)) origin[key] = source;
        if (profileProblems.Count > 0)
        {
            AddAll(new ConfigException([.. profileProblems.Select(x => lines.ErrorAt(x.Key, x.Message, x.Key.StartsWith("sites[", StringComparison.Ordinal) ? x.Key[..(x.Key.IndexOf(']', StringComparison.Ordinal) + 1)] : null))]), origin, errors);
            return null;
        }

        SyncConfig config;
        try
        {
            config = ConfigLoader.Resolve(document, file, lines);
        }
        catch (ConfigException e)
        {
            AddAll(e, origin, errors);
            return null;
        }
        if (selected.Count != config.Sites.Count) config = config with { Sites = [.. selected.Select(i => config.Sites[i])] };
        // Applied here, not in Load, so that config check shows the timeout a run would use (and refuses a bad one).
        if (request.Timeout is { } timeoutText)
        {
            if (!int.TryParse(timeoutText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > Defaults.MaxRequestTimeoutSeconds)
            {
                errors.Add($"--timeout: must be a whole number of seconds from 1 to {Defaults.MaxRequestTimeoutSeconds}, got '{timeoutText}'");
                return null;
            }
            config = config with { RequestTimeout = seconds };
            origin["request_timeout"] = "--timeout";
        }
        if (listing) return new AssembledConfig(config, origin, environment, selected);
        if (CommandLineFilters.Rules(request.Filters, errors) is not { } rules) return null;
        if (rules.Count > 0) config = config with { Sites = [.. config.Sites.Select(s => s with { Filter = s.Filter.WithRules(rules) })] };
        return new AssembledConfig(config, origin, environment, selected);
    }

    private static void AddAll(ConfigException e, IReadOnlyDictionary<string, string> origin, List<string> errors)
    {
        if (e.Errors.Count > 0) errors.AddRange(e.Errors.Select(x => SiteFlags.Describe(x, origin)));
        else errors.Add(e.Message);
    }

    /// <summary>
    /// A config holding secret keys should be readable by its owner only (like ~/.ssh keys and ~/.aws/credentials).
    /// It is a warning, not an error: a container may mount it read-only with broad modes on purpose.
    /// </summary>
    private static string? SecretsReadable(string path, bool holdsSecrets)
    {
        if (OperatingSystem.IsWindows() || !holdsSecrets) return null;
        UnixFileMode mode;
        try { mode = File.GetUnixFileMode(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        if ((mode & Others) == 0) return null;
        var octal = Convert.ToString((int)mode & 0x1FF, 8);
        return $"warning: {path} holds secret keys and is readable by {((mode & UnixFileMode.GroupRead) != 0 ? "its group" : "")}{((mode & Others) == Others ? " and " : "")}{((mode & UnixFileMode.OtherRead) != 0 ? "everyone" : "")} (mode {octal}); run: chmod 600 {path}";
    }
}
