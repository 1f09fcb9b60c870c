namespace S3Sync.Remote;

/// <summary>An object under a site's prefix. <see cref="Key"/> is relative to the prefix, like <see cref="Local.LocalEntry.Key"/>.</summary>
public sealed record RemoteObject(string Key, long Size, string ETag, string StorageClass, DateTime LastModifiedUtc)
{
    /// <summary>The version listed (point-in-time restore), or null for the current object.</summary>
    public string? VersionId { get; init; }

    /// <summary>In a listing of versions at a time, what the key held then; <see cref="KeyAtTime.Present"/> otherwise.</summary>
    public KeyAtTime At { get; init; }
}
