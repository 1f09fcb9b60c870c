namespace S3Sync.Remote;

/// <summary>One version of a key on a versioned bucket (<c>ls --versions</c>), or a delete marker. <see cref="Key"/>
/// is relative to the listed prefix.</summary>
public sealed record ObjectVersion(string Key, string VersionId, bool IsLatest, bool IsDeleteMarker, long Size, string ETag, string StorageClass, DateTime LastModifiedUtc);
