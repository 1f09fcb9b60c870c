using System.CommandLine;
using Microsoft.Extensions.Logging;
using S3Sync.Hashing;

namespace S3Sync.Cli.Commands;

/// <summary>The hash cache flags of sync and verify.</summary>
public sealed class CacheOptions
{
    public Option<string?> StateDir { get; } = new("--state-dir") { Description = "Folder of the hash cache (overrides state_dir; default $XDG_STATE_HOME/s3sync or ~/.local/state/s3sync)", HelpName = "DIR" };
    public Option<bool> Rehash { get; } = new("--rehash") { Description = "Read and hash every file compared, ignoring (and rewriting) the hash cache" };

    public void AddTo(Command command)
    {
        command.Options.Add(StateDir);
        command.Options.Add(Rehash);
    }

    /// <summary>Opens the cache in the resolved folder; null (after one warning) when it cannot be used.</summary>
    public static HashCache? Open(string? stateDir, ILogger logger) =>
        HashCache.Open(HashCache.ResolveDirectory(stateDir), message => logger.LogWarning("{Message}", message));
}
