using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>
/// Turns a failure that stops a whole site (no bucket, no usable credentials) into one line naming the site's bucket
/// and what to do, without the SDK's text (its credential chain lists four nested exceptions).
/// </summary>
public static class StoreFailure
{
    /// <summary>The kind of the first <see cref="StoreException"/> in <paramref name="e"/>'s chain (an SDK exception
    /// counts as the one it becomes); <see cref="StoreErrorKind.Other"/> for anything else.</summary>
    public static StoreErrorKind Classify(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (StoreException.From(x) is StoreException s) return s.Kind;
        return StoreErrorKind.Other;
    }

    /// <summary>True for the kinds that are the whole site's problem, not one key's: no bucket, no usable credentials.</summary>
    public static bool StopsSite(StoreErrorKind kind) => kind is StoreErrorKind.MissingBucket or StoreErrorKind.Credentials;

    /// <summary>The one line for <paramref name="e"/> on <paramref name="site"/>; <see cref="StoreErrors.Describe"/> for any other failure.</summary>
    public static string Explain(Exception e, Site site)
    {
        var where = site.Endpoint is null ? "AWS S3" : site.Endpoint;
        switch (Classify(e))
        {
            case StoreErrorKind.MissingBucket:
                return $"bucket '{site.Bucket}' does not exist at {where}: create it, or correct bucket (or the s3:// URL)";
            case StoreErrorKind.Credentials:
                if (Code(e) is { } code)
                    return $"{where} refused the credentials for bucket '{site.Bucket}' ({code}): check access_key and secret_access_key (or AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)";
                return $"no credentials found for bucket '{site.Bucket}' (looked in: access_key/secret_access_key in the configuration, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
                       "AWS_PROFILE or the default profile in ~/.aws, AWS_WEB_IDENTITY_TOKEN_FILE, container and instance metadata): set one of them";
            default:
                return StoreErrors.Describe(e);
        }
    }

    private static string? Code(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (StoreException.From(x) is StoreException { Code: { Length: > 0 } code }) return code;
        return null;
    }
}
