namespace S3Sync.Remote;

/// <summary>What a HEAD tells beyond the listing: the fingerprint s3sync stores and the encryption.</summary>
public sealed record ObjectHead(long Size, string ETag, string StorageClass, string? FingerprintMd5, string? ServerSideEncryption, bool CustomerKey)
{
    /// <summary>The file metadata stored with the upload (<see cref="ObjectMetadata"/>), when there is any.</summary>
    public Local.FileMetadata? File { get; init; }

    /// <summary>When the object was last written (HEAD's Last-Modified).</summary>
    public DateTime LastModifiedUtc { get; init; }

    /// <summary>The <see cref="UploadHeaders.SettingsKey"/> value the object was written with; null when it has none.</summary>
    public string? SettingsDigest { get; init; }
}
