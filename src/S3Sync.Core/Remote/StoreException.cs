using System.Collections.Frozen;
using Amazon.Runtime;

namespace S3Sync.Remote;

/// <summary>
/// The one error type that crosses the store seam (<see cref="IObjectStore"/>): what the server answered, or why no
/// request could be made, as a <see cref="Kind"/> callers decide by, with the message already one line naming the S3
/// error code and the HTTP status (Ceph sends error bodies the SDK turns into an empty message). The SDK's exception
/// stays only as <see cref="Exception.InnerException"/>. A timeout stays a <see cref="TimeoutException"/> (reading a
/// body times out the same way, outside any call), and a cancel an <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class StoreException(StoreErrorKind kind, string message, string? code = null, int status = 0, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>S3 error codes that mean the credentials themselves are wrong, not the permissions they carry.</summary>
    private static readonly FrozenSet<string> CredentialCodes = FrozenSet.Create(StringComparer.Ordinal,
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidClientTokenId", "UnrecognizedClientException");

    public StoreErrorKind Kind => kind;

    /// <summary>The S3 error code the server sent ("NoSuchBucket", "BadDigest"); null when no answer came.</summary>
    public string? Code => code;

    /// <summary>The HTTP status of the answer; 0 when no answer came (no credentials, a refused redirect).</summary>
    public int Status => status;

    /// <summary>True when the server answered (with an error): it is there, and it refused this call.</summary>
    public bool Answered => status > 0;

    /// <summary>The kind of an answer with S3 error <paramref name="code"/> and HTTP <paramref name="status"/>.</summary>
    public static StoreErrorKind KindOf(string? code, int status)
    {
        if (code == "NoSuchBucket") return StoreErrorKind.MissingBucket;
        if (code is not null && CredentialCodes.Contains(code)) return StoreErrorKind.Credentials;
        if (code is "BadDigest" or "InvalidDigest") return StoreErrorKind.BadDigest;
        if (status is 429 or 503 || code is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestLimitExceeded") return StoreErrorKind.Throttled;
        if (status == 412 || code == "PreconditionFailed") return StoreErrorKind.PreconditionFailed;
        if (status == 404 || code is "NoSuchKey" or "NoSuchUpload" or "NotFound" or "NoSuchVersion") return StoreErrorKind.NotFound;
        if (code == "AccessDenied" || status == 403) return StoreErrorKind.AccessDenied;
        if (status == 400) return StoreErrorKind.BadRequest;
        return StoreErrorKind.Other;
    }

    /// <summary>
    /// <paramref name="e"/> as it crosses the seam: an SDK failure or a refused redirect (anywhere in its chain) becomes
    /// a <see cref="StoreException"/>; a <see cref="StoreException"/>, a timeout, a cancel and anything else (a network
    /// failure, a listing that loops) go through unchanged.
    /// </summary>
    public static Exception From(Exception e)
    {
        if (e is StoreException or TimeoutException or OperationCanceledException) return e;
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is RedirectRefusedException r) return new StoreException(StoreErrorKind.Redirected, r.Message, null, (int)r.Status, e);
            if (x is AmazonServiceException s)
            {
                var code = string.IsNullOrEmpty(s.ErrorCode) ? null : s.ErrorCode;
                return new StoreException(KindOf(code, (int)s.StatusCode), Describe(s), code, (int)s.StatusCode, e);
            }
        }
        if (e is AmazonClientException)
        {
            // The SDK's credential chain found nothing: a client-side failure before any request was sent.
            var kind = e.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase) ? StoreErrorKind.Credentials : StoreErrorKind.Other;
            var message = e.Message.ReplaceLineEndings(" ").Trim();
            return new StoreException(kind, message.Length == 0 ? e.GetType().Name : message, null, 0, e);
        }
        return e;
    }

    /// <summary>An error answer's one line: its code and status always named, then the server's message if it sent one.</summary>
    internal static string Describe(string? code, int status, string? message)
    {
        var head = $"{code ?? "error"} (HTTP {status})";
        message = message?.ReplaceLineEndings(" ").Trim() ?? "";
        // The store may already have put the code and status into the message (Ceph sends none of its own).
        return message.Length == 0 || message == code || message == head ? head : $"{head}: {message}";
    }

    private static string Describe(AmazonServiceException s) =>
        Describe(string.IsNullOrEmpty(s.ErrorCode) ? null : s.ErrorCode, (int)s.StatusCode, s.Message);
}
