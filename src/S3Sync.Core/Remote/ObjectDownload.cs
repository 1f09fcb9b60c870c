namespace S3Sync.Remote;

/// <summary>A GET's body and what its headers say: ETag, the stored fingerprint and file metadata, the encryption.
/// Disposing closes the body.</summary>
public sealed class ObjectDownload(Stream body, long contentLength, string etag, string? fingerprintMd5, Local.FileMetadata? file, bool encrypted, IDisposable? response = null) : IDisposable
{
    public Stream Body => body;
    public long ContentLength => contentLength;
    public string ETag => etag;
    public string? FingerprintMd5 => fingerprintMd5;
    public Local.FileMetadata? File => file;

    /// <summary>The stored modification time (Unix ns) when the object has one without a mode, as rclone stores it
    /// (<c>mtime</c> alone): a restore applies it rather than the upload time. Null when <see cref="File"/> has it or
    /// there is none.</summary>
    public long? MtimeNs { get; init; }

    /// <summary>The part size s3sync stored with a multipart upload (<c>s3sync-part-size</c>): the layout its multipart
    /// ETag is proved at. Null when there is none (another tool's upload, or one part).</summary>
    public long? PartSize { get; init; }

    /// <summary>Why the object's file metadata cannot be applied (<see cref="ObjectMetadata.Problem"/>), or null.</summary>
    public string? MetadataProblem { get; init; }

    /// <summary>SSE-KMS or SSE-C: the ETag is not the MD5 of the bytes.</summary>
    public bool Encrypted => encrypted;

    public void Dispose()
    {
        body.Dispose();
        response?.Dispose();
    }
}
