namespace S3Sync.Remote;

/// <summary>What a failed store call means, so callers decide by kind and never by an SDK's exception type or error
/// code (<see cref="StoreException.Kind"/>).</summary>
public enum StoreErrorKind
{
    /// <summary>Any other failure: the message says what it was.</summary>
    Other,
    /// <summary>The key, version or upload does not exist (404, NoSuchKey, NoSuchUpload).</summary>
    NotFound,
    /// <summary>No credentials were found, or the server refused the ones given (a key unknown, a secret or token wrong).</summary>
    Credentials,
    /// <summary>The bucket does not exist (NoSuchBucket).</summary>
    MissingBucket,
    /// <summary>The body did not match the Content-MD5 it was sent with (BadDigest, InvalidDigest).</summary>
    BadDigest,
    /// <summary>The server asked for fewer requests (503 SlowDown, 429, Throttling) and the retries ran out.</summary>
    Throttled,
    /// <summary>The answer asked to go to another host (a 3xx with a Location); s3sync follows no redirect.</summary>
    Redirected,
    /// <summary>A condition of the request did not hold (412: the object changed since its ETag was read).</summary>
    PreconditionFailed,
    /// <summary>The credentials are valid but carry no permission for the call (403 AccessDenied).</summary>
    AccessDenied,
    /// <summary>The server refused the request itself (400: a header, an encryption key or an argument it does not take).</summary>
    BadRequest,
}
