using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>
/// The <see cref="AdaptiveConcurrency"/> of each endpoint a run talks to: one per server (and region), shared by every
/// site and every store of the run on it, so two sites on one server do not each think they have it to themselves.
/// A command makes one for its run (no process-wide state); <c>watch</c> keeps one for as long as it runs.
/// </summary>
public sealed class RequestLimits(SyncConfig config)
{
    private readonly Dictionary<string, AdaptiveConcurrency> _limits = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="other"/> asks for the same limits (a reload that kept upload_workers).</summary>
    public bool Serves(SyncConfig other) => other.WorkersFixed == config.WorkersFixed && other.UploadWorkers == config.UploadWorkers;

    /// <summary>The limit of <paramref name="site"/>'s endpoint.</summary>
    public AdaptiveConcurrency For(Site site)
    {
        var key = StoreIdentity.Of(site) + "\n" + (site.Region ?? "");
        lock (_limits)
        {
            if (!_limits.TryGetValue(key, out var limit))
                _limits[key] = limit = config.WorkersFixed
                    ? AdaptiveConcurrency.Fixed(config.UploadWorkers)
                    : new AdaptiveConcurrency(config.UploadWorkers, config.TransferWorkers);
            return limit;
        }
    }
}
