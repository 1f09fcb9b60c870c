namespace S3Sync.Remote;

/// <summary>An object under a site's prefix. <see cref="Key"/> is relative to the prefix, like <see cref="Local.LocalEntry.Key"/>.</summary>
public sealed record RemoteObject(string Key, long Size, string ETag, string StorageClass, DateTime LastModifiedUtc);

/// <summary>What a HEAD tells beyond the listing: the fingerprint s3sync stores and the encryption.</summary>
public sealed record ObjectHead(long Size, string ETag, string StorageClass, string? FingerprintMd5, string? ServerSideEncryption, bool CustomerKey)
{
    /// <summary>The <see cref="UploadHeaders.SettingsKey"/> value the object was written with; null when it has none.</summary>
    public string? SettingsDigest { get; init; }

    /// <summary>The object's user metadata, names without <c>x-amz-meta-</c> (empty when the HEAD did not say).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}

/// <summary>A multipart upload left open on the server.</summary>
public sealed record OpenUpload(string Key, string UploadId, DateTime InitiatedUtc);

/// <summary>
/// The object store seam. The real implementation is <see cref="S3ObjectStore"/> over AWSSDK.S3; tests of
/// pure logic may use an in-memory one. Keys here are full keys (prefix included).
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>Lists every object under <paramref name="prefix"/> in key order, page by page.</summary>
    IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken);

    Task<ObjectHead?> HeadAsync(string bucket, string key, CancellationToken cancellationToken);

    Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken);

    Task<string> StartMultipartAsync(string bucket, string key, UploadHeaders headers, CancellationToken cancellationToken);

    /// <summary>Uploads one part; returns the part's ETag as the server reports it.</summary>
    Task<string> UploadPartAsync(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken);

    Task CompleteMultipartAsync(string bucket, string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken);

    Task AbortMultipartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken);

    IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(string bucket, string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Rewrites an object in place with a server-side copy that replaces its headers, metadata, ACL, encryption and
    /// storage class with <paramref name="headers"/>; <paramref name="head"/> is what the object holds now (its
    /// encryption decides the copy source's SSE-C key). No bytes are re-sent.
    /// </summary>
    Task UpdateInPlaceAsync(string bucket, string key, UploadHeaders headers, ObjectHead head, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot rewrite objects in place");

    /// <summary>Changes an object's storage class in place, server-side; no bytes are re-sent.</summary>
    Task ChangeStorageClassAsync(string bucket, string key, string storageClass, CancellationToken cancellationToken);

    /// <summary>Deletes keys (up to 1,000 per request); returns the keys that could not be deleted with why.</summary>
    Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    Task<Stream> OpenReadAsync(string bucket, string key, CancellationToken cancellationToken);
}
