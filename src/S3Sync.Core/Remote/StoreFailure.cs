using Amazon.Runtime;
using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>What a failed store call means for the whole site, when it is more than one file's problem.</summary>
public enum StoreFailureKind
{
    /// <summary>Any other failure: <see cref="StoreErrors.Describe"/> says what it was.</summary>
    Other,
    /// <summary>The bucket does not exist (NoSuchBucket).</summary>
    MissingBucket,
    /// <summary>No credentials were found, or the server refused the ones given (a key unknown, a secret or token wrong).</summary>
    Credentials,
}

/// <summary>
/// Turns a failure that stops a whole site (no bucket, no usable credentials) into one line naming the site's bucket
/// and what to do, without the SDK's text (its credential chain lists four nested exceptions).
/// </summary>
public static class StoreFailure
{
    /// <summary>S3 error codes that mean the credentials themselves are wrong, not the permissions they carry.</summary>
    private static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidClientTokenId", "UnrecognizedClientException",
    };

    public static StoreFailureKind Classify(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is AmazonServiceException s)
            {
                if (s.ErrorCode == "NoSuchBucket") return StoreFailureKind.MissingBucket;
                if (s.ErrorCode is { } code && CredentialCodes.Contains(code)) return StoreFailureKind.Credentials;
                return StoreFailureKind.Other;
            }
            // The SDK's credential chain found nothing: a client-side exception before any request was sent.
            if (x is AmazonClientException && x.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase)) return StoreFailureKind.Credentials;
        }
        return StoreFailureKind.Other;
    }

    /// <summary>The one line for <paramref name="e"/> on <paramref name="site"/>; <see cref="StoreErrors.Describe"/> for any other failure.</summary>
    public static string Explain(Exception e, Site site)
    {
        var where = site.Endpoint is null ? "AWS S3" : site.Endpoint;
        switch (Classify(e))
        {
            case StoreFailureKind.MissingBucket:
                return $"bucket '{site.Bucket}' does not exist at {where}: create it, or correct bucket (or the s3:// URL)";
            case StoreFailureKind.Credentials:
                if (Code(e) is { } code)
                    return $"{where} refused the credentials for bucket '{site.Bucket}' ({code}): check access_key and secret_access_key (or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)";
                return $"no credentials found for bucket '{site.Bucket}' (looked in: access_key/secret_access_key in the configuration, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
                       "AWS_PROFILE or the default profile in ~/.aws, AWS_WEB_IDENTITY_TOKEN_FILE, container and instance metadata): set one of them";
            default:
                return StoreErrors.Describe(e);
        }
    }

    /// <summary>A site's walk or listing that could not finish: the line to log and report, and the status it ends
    /// with (<see cref="SiteStatus.Credentials"/> for missing or refused credentials, else failed). Sync and restore
    /// both end a site this way.</summary>
    public static (string Why, Execution.SiteStatus Status) OfPlanning(Exception e, Site site)
    {
        var kind = Classify(e);
        var why = e is BeforeOldestVersionException ? e.Message
            : kind == StoreFailureKind.Other ? $"could not finish the walk or the listing: {StoreErrors.Describe(e)}" : Explain(e, site);
        return (why, kind == StoreFailureKind.Credentials ? Execution.SiteStatus.Credentials : Execution.SiteStatus.Failed);
    }

    private static string? Code(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is AmazonServiceException { ErrorCode: { Length: > 0 } code }) return code;
        return null;
    }
}
