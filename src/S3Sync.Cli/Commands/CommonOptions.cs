using System.CommandLine;
using S3Sync.Config;

namespace S3Sync.Cli.Commands;

/// <summary>Options every command that reads a configuration takes.</summary>
public sealed class CommonOptions
{
    public Option<string> Config { get; } = new("--config", "-c") { Description = "The configuration file (YAML)", HelpName = "FILE", Required = true };
    public Option<string[]> Sites { get; } = new("--site") { Description = "Only the site with this name (repeatable)", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
    public Option<string?> LogLevel { get; } = new("--loglevel") { Description = "Override loglevel: trace, debug, info, warn, error, fatal, panic", HelpName = "LEVEL" };
    public Option<string?> LogFormat { get; } = new("--log-format") { Description = "Log format on stderr: text (default) or json", HelpName = "FORMAT" };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Sites);
        command.Options.Add(LogLevel);
        command.Options.Add(LogFormat);
    }

    /// <summary>Loads the configuration and keeps the selected sites. Errors are printed and mapped to exit 2.</summary>
    public (SyncConfig? Config, bool JsonLogs, int ExitCode) Load(ParseResult result, TextWriter error)
    {
        var path = result.GetValue(Config)!;
        SyncConfig config;
        try
        {
            config = ConfigLoader.LoadFile(path);
        }
        catch (ConfigException e)
        {
            foreach (var line in e.Errors.Count > 0 ? e.Errors.Select(x => x.ToString()) : [e.Message])
                error.WriteLine($"s3sync: {line}");
            return (null, false, ExitCodes.Usage);
        }

        WarnIfSecretsReadable(path, config, error);

        if (result.GetValue(LogLevel) is { } level)
        {
            if (!ConfigLoader.TryParseLogLevel(level, out var verbosity))
            {
                error.WriteLine($"s3sync: --loglevel: unknown log level '{level}' (valid: trace, debug, info, warn, error, fatal, panic)");
                return (null, false, ExitCodes.Usage);
            }
            config = config with { LogLevel = verbosity };
        }
        var format = result.GetValue(LogFormat) ?? "text";
        if (format is not ("text" or "json"))
        {
            error.WriteLine($"s3sync: --log-format: '{format}' is not text or json");
            return (null, false, ExitCodes.Usage);
        }

        var wanted = result.GetValue(Sites) ?? [];
        if (wanted.Length > 0)
        {
            var unknown = wanted.Where(w => config.Sites.All(s => s.Name != w)).ToList();
            if (unknown.Count > 0)
            {
                error.WriteLine($"s3sync: {path}: --site: no site named '{unknown[0]}' (sites: {string.Join(", ", config.Sites.Select(s => s.Name))})");
                return (null, false, ExitCodes.Usage);
            }
            config = config with { Sites = [.. config.Sites.Where(s => wanted.Contains(s.Name))] };
        }
        return (config, format == "json", ExitCodes.Ok);
    }

    /// <summary>
    /// A config holding secret keys should be readable by its owner only (like ~/.ssh keys and ~/.aws/credentials).
    /// It is a warning, not an error: a container may mount it read-only with broad modes on purpose.
    /// </summary>
    internal static void WarnIfSecretsReadable(string path, SyncConfig config, TextWriter error)
    {
        if (OperatingSystem.IsWindows() || config.Sites.All(s => s.Credentials is null)) return;
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
