using S3Sync.Local;

namespace S3Sync.Reporting;

/// <summary>One line of <c>s3sync ls</c>: an object (or one version of it, or a delete marker), or a folder that
/// <c>--depth</c> folded the keys below into. <see cref="Key"/> is relative to the listed prefix.</summary>
public sealed record ListingLine(string Key, long Size, DateTime LastModifiedUtc, string StorageClass, string ETag)
{
    /// <summary>A folder ("a/b/") standing for every key below it (<c>--depth</c>).</summary>
    public bool IsFolder { get; init; }

    /// <summary>The version (<c>--versions</c>, <c>--at</c>); null for the current object.</summary>
    public string? VersionId { get; init; }

    public bool IsLatest { get; init; }

    public bool IsDeleteMarker { get; init; }

    /// <summary>The file metadata s3sync stored with the upload (mode, mtime, owner), read with <c>-l</c>; null when the
    /// object has none (another tool's upload) or it was not read.</summary>
    public FileMetadata? File { get; init; }
}
