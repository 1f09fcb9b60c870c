using System.Globalization;
using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Cli.Commands;

/// <summary>One object store per site, made from the site's credentials, region and endpoint.</summary>
public static class SiteStores
{
    /// <summary>
    /// Hidden setting: the per-request timeout in seconds (default 120). Fault tests shorten it so a frozen
    /// server is detected in seconds; it is not a documented option.
    /// </summary>
    public const string TimeoutVariable = "S3SYNC_REQUEST_TIMEOUT";

    /// <summary>Tests set this to reach the local server with short timeouts; null means the real default.</summary>
    public static Func<Site, int, int, IObjectStore>? Factory { get; set; }

    public static IObjectStore For(Site site, int workers, int retries) =>
        Factory?.Invoke(site, workers, retries) ?? S3ObjectStore.ForSite(site, workers + 2, retries, RequestTimeout());

    private static TimeSpan? RequestTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
