namespace S3Sync.Remote;

/// <summary>A store's multipart uploads (<see cref="IObjectStore.Multipart"/>); keys relative to the store's prefix.</summary>
public interface IMultipartUploads
{
    /// <summary>Starts an upload with the object's headers; returns its upload id.</summary>
    Task<string> StartMultipartAsync(string key, UploadHeaders headers, CancellationToken cancellationToken);

    /// <summary>Uploads one part, plain with its Content-MD5; returns the part's ETag as the server reports it.</summary>
    Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken);

    /// <summary>Completes an upload. The answer's ETag is not read: some servers (Ceph) return it empty.</summary>
    Task CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken);

    /// <summary>Aborts an upload; one already gone is not an error.</summary>
    Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken);

    /// <summary>The uploads left open under the store's prefix.</summary>
    IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(CancellationToken cancellationToken);

    /// <summary>When the newest part of an open multipart upload was stored (ListParts); null when it holds none. The
    /// stale-upload cleanup asks it before aborting, so an upload still receiving parts is never taken for abandoned.</summary>
    Task<DateTime?> LastPartAsync(string key, string uploadId, CancellationToken cancellationToken);
}
