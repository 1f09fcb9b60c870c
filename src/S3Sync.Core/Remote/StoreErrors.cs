namespace S3Sync.Remote;

/// <summary>One line saying why a store call failed. Some servers (Ceph) send error bodies the SDK turns into an empty
/// message, so the S3 error code and the HTTP status are always named (<see cref="StoreException"/>).</summary>
public static class StoreErrors
{
    public static string Describe(Exception e)
    {
        if (StoreException.From(e) is StoreException s) return s.Message;
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        return message.Length == 0 ? e.GetType().Name : message;
    }
}
