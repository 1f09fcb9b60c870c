using System.Net;
using Amazon.S3;
using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>
/// Where <see cref="SignedPut"/> sends a site's PUTs, and how it addresses the bucket: the site's endpoint (http or
/// https, path style when <c>force_path_style</c>), or on AWS itself <c>https://s3.REGION.amazonaws.com</c> with the
/// bucket in the host name, as the SDK does. Null where s3sync would have to second-guess the SDK's own addressing
/// (other AWS partitions, FIPS or dual-stack endpoints, an IP address without path style, an endpoint with a query):
/// the SDK then sends every request, as it always could.
/// </summary>
public sealed record SignedEndpoint(Uri Uri, bool PathStyle, string Region)
{
    public static SignedEndpoint? For(Site site, AmazonS3Config config, Func<string, string?> variable)
    {
        if (site.Endpoint is not null)
        {
            if (!Uri.TryCreate(site.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(endpoint.Query)) return null;
            // Virtual-host style against an IP address cannot work (the SDK would fail the same way): leave it to the SDK.
            if (!site.ForcePathStyle && endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6) return null;
            return new SignedEndpoint(endpoint, site.ForcePathStyle, config.AuthenticationRegion ?? Defaults.DefaultRegion);
        }
        var region = config.RegionEndpoint?.SystemName;
        if (string.IsNullOrEmpty(region) || !IsStandardPartition(region)) return null;
        if (IsTrue(variable("AWS_USE_FIPS_ENDPOINT")) || IsTrue(variable("AWS_USE_DUALSTACK_ENDPOINT")) || config.UseFIPSEndpoint || config.UseDualstackEndpoint || config.UseAccelerateEndpoint) return null;
        return new SignedEndpoint(new Uri($"https://s3.{region}.amazonaws.com"), site.ForcePathStyle, region);
    }

    /// <summary>The commercial AWS partition (amazonaws.com): not China, GovCloud or the isolated regions.</summary>
    private static bool IsStandardPartition(string region) =>
        !region.StartsWith("cn-", StringComparison.Ordinal) && !region.StartsWith("us-gov-", StringComparison.Ordinal)
        && !region.StartsWith("us-iso", StringComparison.Ordinal) && !region.StartsWith("eu-iso", StringComparison.Ordinal)
        && !region.AsSpan().ContainsAnyExcept(RegionCharacters);

    private static readonly System.Buffers.SearchValues<char> RegionCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
}
