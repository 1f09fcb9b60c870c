using System.Net;

namespace S3Sync.Remote;

/// <summary>
/// An answer that asked to send the request elsewhere (a 3xx with a <c>Location</c>). s3sync follows no redirect, on
/// any path: a redirect would carry the body, every <c>x-amz-meta-*</c> header and, through the SDK's own redirect
/// handling, a fresh signature to a host nobody configured, and that host's 200 would count as the store's. The
/// request fails, is not retried, and the message names the status and the host asked for.
/// </summary>
public sealed class RedirectRefusedException(HttpStatusCode status, Uri? location)
    : Exception($"HTTP {(int)status} redirect to {Host(location)} refused: s3sync follows no redirect (set endpoint to the address that serves the bucket)")
{
    public HttpStatusCode Status => status;

    /// <summary>Where the answer asked to go (absolute; null when it named nothing usable).</summary>
    public Uri? Location => location;

    private static string Host(Uri? location) =>
        location is { IsAbsoluteUri: true } ? Reporting.Printable.Escape(location.IsDefaultPort ? location.IdnHost : $"{location.IdnHost}:{location.Port}") : "an unnamed host";
}
