namespace S3Sync.Remote;

/// <summary>An object under a site's prefix. <see cref="Key"/> is relative to the prefix, like <see cref="Local.LocalEntry.Key"/>.</summary>
public sealed record RemoteObject(string Key, long Size, string ETag, string StorageClass, DateTime LastModifiedUtc)
{
    /// <summary>The version listed (point-in-time restore), or null for the current object.</summary>
    public string? VersionId { get; init; }
}

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

    /// <summary>As <see cref="ListAsync(string, string, CancellationToken)"/>, from the first key after
    /// <paramref name="startAfter"/> (relative to the prefix; null: from the start). A range of a listing split to run
    /// side by side (<see cref="Planning.RangeListing"/>).</summary>
    async IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, string? startAfter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var o in ListAsync(bucket, prefix, cancellationToken).ConfigureAwait(false))
            if (startAfter is null || Planning.KeyOrder.Instance.Compare(o.Key, startAfter) > 0) yield return o;
    }

    /// <summary>One level of the tree under the prefix (a listing with the delimiter '/'): the objects directly in it and
    /// its folders ("name/"), relative to it, each in key order. Null when there are more than <paramref name="most"/>
    /// entries, or this store cannot say (then the listing is not split).</summary>
    Task<FolderLevel?> ListLevelAsync(string bucket, string prefix, int most, CancellationToken cancellationToken) =>
        Task.FromResult<FolderLevel?>(null);

    /// <summary>
    /// Lists the tree as it was at <paramref name="at"/> on a versioned bucket: per key, the newest version last modified
    /// at or before it, with its <see cref="RemoteObject.VersionId"/>; keys whose newest version then was a delete
    /// marker, or that did not exist yet, are left out. Key order, like <see cref="ListAsync"/>.
    /// </summary>
    IAsyncEnumerable<RemoteObject> ListAtAsync(string bucket, string prefix, DateTime at, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot list versions");

    Task<ObjectHead?> HeadAsync(string bucket, string key, CancellationToken cancellationToken);

    /// <summary>Creates <paramref name="bucket"/> when it does not exist (<c>create_bucket</c>); true when it was created.
    /// <paramref name="region"/> is its location on AWS (null: the endpoint's default; give none for an S3-compatible server).</summary>
    Task<bool> CreateBucketIfMissingAsync(string bucket, string? region, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot create buckets");

    /// <summary>Every version and delete marker under <paramref name="prefix"/>: keys in key order, each key's versions
    /// newest first (<c>ls --versions</c>).</summary>
    IAsyncEnumerable<ObjectVersion> ListVersionsAsync(string bucket, string prefix, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot list versions");

    /// <summary>A HEAD of one version (<paramref name="versionId"/> null: the current object).</summary>
    Task<ObjectHead?> HeadAsync(string bucket, string key, string? versionId, CancellationToken cancellationToken) =>
        versionId is null ? HeadAsync(bucket, key, cancellationToken) : throw new NotSupportedException("this store cannot read versions");

    Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken);

    Task<string> StartMultipartAsync(string bucket, string key, UploadHeaders headers, CancellationToken cancellationToken);

    /// <summary>Uploads one part; returns the part's ETag as the server reports it.</summary>
    Task<string> UploadPartAsync(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken);

    Task CompleteMultipartAsync(string bucket, string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken);

    Task AbortMultipartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken);

    IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(string bucket, string prefix, CancellationToken cancellationToken);

    /// <summary>When the newest part of an open multipart upload was stored (ListParts); null when it holds none. The
    /// stale-upload cleanup asks it before aborting, so an upload still receiving parts is never taken for abandoned.</summary>
    Task<DateTime?> LastPartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot list the parts of an upload");

    /// <summary>Rewrites an object's headers and metadata in place (a server-side copy onto itself with the REPLACE
    /// directive); no bytes are re-sent. Used when only a file's mode, owner or mtime changed.</summary>
    Task ReplaceMetadataAsync(string bucket, string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot rewrite metadata");

    /// <summary>
    /// Copies <paramref name="sourceKey"/> to <paramref name="key"/> in the same bucket, server-side. With
    /// <paramref name="replace"/> the copy gets those headers and metadata (a move: the new file's mode, owner, mtime and
    /// the site's settings); without, it keeps the source's metadata in <paramref name="storageClass"/> (a backup copy).
    /// <paramref name="ifMatch"/>: only while the source's ETag is that (412 otherwise: the source changed since it was
    /// listed). Over 5 GiB the copy goes in parts (UploadPartCopy). Returns the copy's ETag as the server reports it.
    /// </summary>
    Task<string> CopyAsync(string bucket, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot copy objects");

    /// <summary>Changes an object's storage class in place, server-side; no bytes are re-sent.</summary>
    Task ChangeStorageClassAsync(string bucket, string key, string storageClass, CancellationToken cancellationToken);

    /// <summary>Deletes keys (up to 1,000 per request); returns the keys that could not be deleted with why.</summary>
    Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    Task<Stream> OpenReadAsync(string bucket, string key, CancellationToken cancellationToken);

    /// <summary>GETs an object, or <paramref name="length"/> bytes of it from <paramref name="offset"/> (length null:
    /// all), of one version when given, only while its ETag is <paramref name="ifMatch"/> when given (a part of an object
    /// replaced mid-download fails instead of mixing two versions).</summary>
    Task<ObjectDownload> GetAsync(string bucket, string key, long offset, long? length, string? versionId, string? ifMatch, CancellationToken cancellationToken) =>
        throw new NotSupportedException("this store cannot download");
}

/// <summary>One level of a listing with the delimiter '/': the objects directly under the prefix and its folders.</summary>
public sealed record FolderLevel(IReadOnlyList<RemoteObject> Objects, IReadOnlyList<string> Folders);
