using S3Sync.Local;

namespace S3Sync.Remote;

/// <summary>
/// What a single PUT, a multipart upload (at CreateMultipartUpload) or an in-place metadata copy carries besides the
/// body. <see cref="ToHttpHeaders"/> is the one place these become request headers: the signed PUT and the SDK path
/// both send exactly its list, so a rule added here reaches every upload.
/// </summary>
public sealed record UploadHeaders(string StorageClass, string ContentType, string FingerprintMd5Hex)
{
    /// <summary>The file's mtime, mode and owner, stored as <see cref="ObjectMetadata"/>; null stores none.</summary>
    public FileMetadata? File { get; init; }

    /// <summary>
    /// Every header but Content-MD5, names in lowercase, in a fixed order: <c>content-type</c>,
    /// <c>x-amz-storage-class</c>, then user metadata as <c>x-amz-meta-NAME</c>: the fingerprint (<c>s3sync-md5</c>;
    /// for a multipart upload also rclone's <c>md5chksum</c>, which rclone reads on multipart objects only, so that
    /// <c>rclone check</c> can verify them) and the <see cref="File"/> metadata.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToHttpHeaders(bool multipart)
    {
        var headers = new List<KeyValuePair<string, string>>(10)
        {
            new("content-type", ContentType),
            new("x-amz-storage-class", StorageClass),
            new(MetaPrefix + S3ObjectStore.FingerprintKey, FingerprintMd5Hex),
        };
        if (multipart && Hashing.ETag.IsMd5Hex(FingerprintMd5Hex))
            headers.Add(new(MetaPrefix + S3ObjectStore.RcloneMd5Key, Convert.ToBase64String(Convert.FromHexString(FingerprintMd5Hex))));
        if (File is { } file) ObjectMetadata.AddTo(headers, file);
        return headers;
    }

    public const string MetaPrefix = "x-amz-meta-";
}
