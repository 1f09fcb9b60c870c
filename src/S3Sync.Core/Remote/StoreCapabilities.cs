namespace S3Sync.Remote;

/// <summary>The error of a call that needs a capability the store does not have (<see cref="IObjectStore.Copy"/> null, ...).</summary>
public static class StoreCapabilities
{
    /// <summary>"this store cannot <paramref name="what"/>" (as a store without the call has always said).</summary>
    public static NotSupportedException Missing(string what) => new($"this store cannot {what}");
}
