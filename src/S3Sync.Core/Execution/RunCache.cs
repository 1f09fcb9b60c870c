using Microsoft.Extensions.Logging;
using S3Sync.State;

namespace S3Sync.Execution;

/// <summary>The hash cache of a run, opened from <c>state_dir</c> (resolved as <see cref="HashCache.ResolveDirectory"/>).</summary>
public static class RunCache
{
    /// <summary>Opens the cache; null (after one warning) when it cannot be used: the run then reads every file.</summary>
    public static HashCache? Open(string? stateDir, ILogger logger) =>
        HashCache.Open(HashCache.ResolveDirectory(stateDir), message => logger.LogWarning("{Message}", message));
}
