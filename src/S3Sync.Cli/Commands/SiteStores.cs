using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Cli.Commands;

/// <summary>One object store per site, made from the site's credentials, region and endpoint.</summary>
public static class SiteStores
{
    /// <summary>Tests set this to reach the local server with short timeouts; null means the real default.</summary>
    public static Func<Site, int, int, IObjectStore>? Factory { get; set; }

    public static IObjectStore For(Site site, int workers, int retries) =>
        Factory?.Invoke(site, workers, retries) ?? S3ObjectStore.ForSite(site, workers + 2, retries);
}
