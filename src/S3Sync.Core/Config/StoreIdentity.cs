using System.Globalization;

namespace S3Sync.Config;

/// <summary>
/// Which server an endpoint names, spelled one way: scheme, lowercase host (<c>localhost</c>, <c>127.0.0.0/8</c> and
/// <c>::1</c> as one loopback host), the port made explicit, no trailing slash. No endpoint and every AWS S3 endpoint
/// (<c>s3.amazonaws.com</c>, <c>s3.REGION.amazonaws.com</c>, <c>s3-REGION...</c>) are AWS, where bucket names are
/// global. Two sites whose buckets have the same name on the same server are the same bucket, whatever the region
/// says: when they may be, the overlap rule treats them as one.
/// </summary>
public static class StoreIdentity
{
    public const string Aws = "aws";

    public static string Of(Site site) => Of(site.Endpoint);

    public static string Of(string? endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint)) return Aws;
        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri)) return endpoint.Trim().TrimEnd('/').ToLowerInvariant();
        var host = uri.IdnHost.ToLowerInvariant().TrimEnd('.').Trim('[', ']');
        if (host.EndsWith(".amazonaws.com", StringComparison.Ordinal) && (host.StartsWith("s3.", StringComparison.Ordinal) || host.StartsWith("s3-", StringComparison.Ordinal)))
            return Aws;
        if (host is "localhost" or "::1" or "0:0:0:0:0:0:0:1" || host.EndsWith(".localhost", StringComparison.Ordinal)
            || (System.Net.IPAddress.TryParse(host, out var ip) && System.Net.IPAddress.IsLoopback(ip)))
            host = "loopback";
        var path = uri.AbsolutePath.TrimEnd('/');
        return string.Create(CultureInfo.InvariantCulture, $"{uri.Scheme.ToLowerInvariant()}://{host}:{uri.Port}{path}");
    }
}
