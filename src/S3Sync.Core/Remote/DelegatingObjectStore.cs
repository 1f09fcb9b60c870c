
namespace S3Sync.Remote;

/// <summary>
/// An <see cref="IObjectStore"/> that forwards every call to another; decorators (progress counting, test hooks)
/// override only the calls they watch.
/// </summary>
public abstract class DelegatingObjectStore(IObjectStore inner) : IObjectStore
{
    protected IObjectStore Inner => inner;

    public virtual IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListAsync(bucket, prefix, cancellationToken);
    public virtual IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, string? startAfter, CancellationToken cancellationToken) => inner.ListAsync(bucket, prefix, startAfter, cancellationToken);
    public virtual Task<FolderLevel?> ListLevelAsync(string bucket, string prefix, int most, CancellationToken cancellationToken) => inner.ListLevelAsync(bucket, prefix, most, cancellationToken);
    public virtual IAsyncEnumerable<RemoteObject> ListAtAsync(string bucket, string prefix, DateTime at, CancellationToken cancellationToken) => inner.ListAtAsync(bucket, prefix, at, cancellationToken);
    public virtual Task<ObjectHead?> HeadAsync(string bucket, string key, CancellationToken cancellationToken) => inner.HeadAsync(bucket, key, cancellationToken);
    public virtual Task<ObjectHead?> HeadAsync(string bucket, string key, string? versionId, CancellationToken cancellationToken) => inner.HeadAsync(bucket, key, versionId, cancellationToken);
    public virtual Task<bool> CreateBucketIfMissingAsync(string bucket, string? region, CancellationToken cancellationToken) => inner.CreateBucketIfMissingAsync(bucket, region, cancellationToken);
    public virtual IAsyncEnumerable<ObjectVersion> ListVersionsAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListVersionsAsync(bucket, prefix, cancellationToken);
    public virtual Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) => inner.PutAsync(bucket, key, body, md5, headers, cancellationToken);
    public virtual Task<string> StartMultipartAsync(string bucket, string key, UploadHeaders headers, CancellationToken cancellationToken) => inner.StartMultipartAsync(bucket, key, headers, cancellationToken);
    public virtual Task<string> UploadPartAsync(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken) => inner.UploadPartAsync(bucket, key, uploadId, partNumber, body, md5, cancellationToken);
    public virtual Task CompleteMultipartAsync(string bucket, string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken) => inner.CompleteMultipartAsync(bucket, key, uploadId, parts, cancellationToken);
    public virtual Task AbortMultipartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken) => inner.AbortMultipartAsync(bucket, key, uploadId, cancellationToken);
    public virtual IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(string bucket, string prefix, CancellationToken cancellationToken) => inner.ListOpenUploadsAsync(bucket, prefix, cancellationToken);
    public virtual Task<DateTime?> LastPartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken) => inner.LastPartAsync(bucket, key, uploadId, cancellationToken);
    public virtual Task ReplaceMetadataAsync(string bucket, string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken) => inner.ReplaceMetadataAsync(bucket, key, headers, multipart, cancellationToken);
    public virtual Task<string> CopyAsync(string bucket, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken) => inner.CopyAsync(bucket, sourceKey, key, replace, storageClass, ifMatch, size, cancellationToken);
    public virtual Task ChangeStorageClassAsync(string bucket, string key, string storageClass, CancellationToken cancellationToken) => inner.ChangeStorageClassAsync(bucket, key, storageClass, cancellationToken);
    public virtual Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken) => inner.DeleteAsync(bucket, keys, cancellationToken);
    public virtual Task<ObjectDownload> GetAsync(string bucket, string key, long offset, long? length, string? versionId, string? ifMatch, CancellationToken cancellationToken) => inner.GetAsync(bucket, key, offset, length, versionId, ifMatch, cancellationToken);
    public virtual Task<Stream> OpenReadAsync(string bucket, string key, CancellationToken cancellationToken) => inner.OpenReadAsync(bucket, key, cancellationToken);

    public void Dispose()
    {
        inner.Dispose();
        GC.SuppressFinalize(this);
    }
}
