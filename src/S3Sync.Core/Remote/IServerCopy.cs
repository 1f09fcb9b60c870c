namespace S3Sync.Remote;

/// <summary>A store's server-side copies (<see cref="IObjectStore.Copy"/>): no bytes are sent again.</summary>
public interface IServerCopy
{
    /// <summary>
    /// Copies <paramref name="sourceKey"/> of <paramref name="source"/> (this store's <see cref="IObjectStore.Location"/>
    /// or a sibling's, <see cref="IObjectStore.At"/>: the same bucket) to <paramref name="key"/> of this store. With
    /// <paramref name="replace"/> the copy gets those headers and metadata (a move: the new file's mode, owner, mtime and
    /// the site's settings); without, it keeps the source's metadata in <paramref name="storageClass"/> (a backup copy).
    /// <paramref name="ifMatch"/>: only while the source's ETag is that (412 otherwise: the source changed since it was
    /// listed). Over 5 GiB the copy goes in parts (UploadPartCopy). Returns the copy's ETag as the server reports it.
    /// </summary>
    Task<string> CopyAsync(StoreLocation source, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken);

    /// <summary>Rewrites an object's headers and metadata in place (a copy onto itself with the REPLACE directive).
    /// Used when only a file's mode, owner or mtime changed, or the site's settings.</summary>
    Task ReplaceMetadataAsync(string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken);

    /// <summary>Changes an object's storage class in place.</summary>
    Task ChangeStorageClassAsync(string key, string storageClass, CancellationToken cancellationToken);
}
