using Amazon.Runtime;

namespace S3Sync.Remote;

/// <summary>One line saying why a store call failed. Some servers (Ceph) send error bodies the SDK turns into an empty
/// message, so the S3 error code and the HTTP status are always named.</summary>
public static class StoreErrors
{
    public static string Describe(Exception e)
    {
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        if (e is AmazonServiceException s)
        {
            var code = string.IsNullOrEmpty(s.ErrorCode) ? "error" : s.ErrorCode;
            var head = $"{code} (HTTP {(int)s.StatusCode})";
            // The store may already have put the code and status into the message (Ceph sends none of its own).
            return message.Length == 0 || message == code || message == head ? head : $"{head}: {message}";
        }
        return message.Length == 0 ? e.GetType().Name : message;
    }
}
