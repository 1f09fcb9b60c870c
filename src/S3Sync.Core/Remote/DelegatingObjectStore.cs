namespace S3Sync.Remote;

/// <summary>
/// An <see cref="IObjectStore"/> that forwards every call to another; decorators (progress counting, test hooks)
/// override only the calls they watch. It has the capabilities its inner store has, and answers them itself, so an
/// override of a capability's call (a part upload) sees every call of it. <see cref="At"/> gives the inner store's
/// sibling, undecorated.
/// </summary>
public abstract class DelegatingObjectStore(IObjectStore inner) : IObjectStore, IMultipartUploads, IServerCopy, IObjectVersions, IFolderListing, IBucketAdmin
{
    protected IObjectStore Inner => inner;

    public StoreLocation Location => inner.Location;
    public virtual IObjectStore At(string prefix) => inner.At(prefix);
    public IMultipartUploads? Multipart => inner.Multipart is null ? null : this;
    public IServerCopy? Copy => inner.Copy is null ? null : this;
    public IObjectVersions? Versions => inner.Versions is null ? null : this;
    public IFolderListing? Folders => inner.Folders is null ? null : this;
    public IBucketAdmin? Buckets => inner.Buckets is null ? null : this;

    private static T Needs<T>(T? capability, string what) where T : class => capability ?? throw StoreCapabilities.Missing(what);

    public virtual IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, CancellationToken cancellationToken) => inner.ListAsync(under, startAfter, cancellationToken);
    public virtual Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) => inner.HeadAsync(key, cancellationToken);
    public virtual Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) => inner.PutAsync(key, body, md5, headers, cancellationToken);
    public virtual Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) => inner.GetAsync(key, offset, length, ifMatch, cancellationToken);
    public virtual Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) => inner.OpenReadAsync(key, cancellationToken);
    public virtual Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken) => inner.DeleteAsync(keys, cancellationToken);

    public virtual Task<string> StartMultipartAsync(string key, UploadHeaders headers, CancellationToken cancellationToken) => Needs(inner.Multipart, "upload in parts").StartMultipartAsync(key, headers, cancellationToken);
    public virtual Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken) => Needs(inner.Multipart, "upload in parts").UploadPartAsync(key, uploadId, partNumber, body, md5, cancellationToken);
    public virtual Task CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken) => Needs(inner.Multipart, "upload in parts").CompleteMultipartAsync(key, uploadId, parts, cancellationToken);
    public virtual Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken) => Needs(inner.Multipart, "upload in parts").AbortMultipartAsync(key, uploadId, cancellationToken);
    public virtual IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(CancellationToken cancellationToken) => Needs(inner.Multipart, "upload in parts").ListOpenUploadsAsync(cancellationToken);
    public virtual Task<DateTime?> LastPartAsync(string key, string uploadId, CancellationToken cancellationToken) => Needs(inner.Multipart, "upload in parts").LastPartAsync(key, uploadId, cancellationToken);

    public virtual Task<string> CopyAsync(StoreLocation source, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken) => Needs(inner.Copy, "copy objects").CopyAsync(source, sourceKey, key, replace, storageClass, ifMatch, size, cancellationToken);
    public virtual Task ReplaceMetadataAsync(string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken) => Needs(inner.Copy, "copy objects").ReplaceMetadataAsync(key, headers, multipart, cancellationToken);
    public virtual Task ChangeStorageClassAsync(string key, string storageClass, CancellationToken cancellationToken) => Needs(inner.Copy, "copy objects").ChangeStorageClassAsync(key, storageClass, cancellationToken);

    public virtual IAsyncEnumerable<RemoteObject> ListAtAsync(DateTime at, string under, string? startAfter, CancellationToken cancellationToken) => Needs(inner.Versions, "list versions").ListAtAsync(at, under, startAfter, cancellationToken);
    public virtual Task<FolderLevel?> ListLevelAtAsync(DateTime at, string under, int most, CancellationToken cancellationToken) => Needs(inner.Versions, "list versions").ListLevelAtAsync(at, under, most, cancellationToken);
    public virtual IAsyncEnumerable<ObjectVersion> ListVersionsAsync(CancellationToken cancellationToken) => Needs(inner.Versions, "list versions").ListVersionsAsync(cancellationToken);
    public virtual Task<ObjectHead?> HeadAsync(string key, string? versionId, CancellationToken cancellationToken) => Needs(inner.Versions, "read versions").HeadAsync(key, versionId, cancellationToken);
    public virtual Task<ObjectDownload> GetAsync(string key, string? versionId, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) => Needs(inner.Versions, "read versions").GetAsync(key, versionId, offset, length, ifMatch, cancellationToken);

    public virtual Task<FolderLevel?> ListLevelAsync(string under, int most, CancellationToken cancellationToken) => Needs(inner.Folders, "list by folder").ListLevelAsync(under, most, cancellationToken);
    public virtual Task<bool> CreateBucketIfMissingAsync(string? region, CancellationToken cancellationToken) => Needs(inner.Buckets, "create buckets").CreateBucketIfMissingAsync(region, cancellationToken);

    public void Dispose()
    {
        inner.Dispose();
        GC.SuppressFinalize(this);
    }
}
