namespace S3Sync.Remote;

/// <summary>
/// The object store seam, as s5cmd's <c>storage.Storage</c> and rclone's <c>fs.Fs</c>: a store is bound to a bucket and
/// a prefix when it is made (<see cref="Location"/>), and every key it takes or gives is relative to that prefix
/// (callers never put the prefix in front of a key; the store joins it, never resolves it). The core is five calls:
/// list, head, put, get, delete. What not every store can do is a capability beside it, reached explicitly and null
/// when the store has none: <see cref="Multipart"/>, <see cref="Copy"/>, <see cref="Versions"/>, <see cref="Folders"/>,
/// <see cref="Buckets"/>. Errors cross as <see cref="StoreException"/>. The real store is <see cref="S3ObjectStore"/>;
/// the tests have one in memory.
/// <para>
/// Work across prefixes of the same bucket (the backup place of <c>backup_path</c>, <c>restore --from-backup</c>, the
/// latest backup run) goes through <see cref="At"/>: a sibling bound to another prefix of the same bucket and endpoint,
/// sharing the client, the request limits and the bandwidth limit. A server-side copy names its source by a store's
/// <see cref="Location"/> (this store's or a sibling's) and a key relative to it.
/// </para>
/// </summary>
public interface IObjectStore : IDisposable
{
    /// <summary>The bucket and prefix this store is bound to (messages, s3:// URLs, shards, <c>ls</c>).</summary>
    StoreLocation Location { get; }

    /// <summary>
    /// A sibling bound to <paramref name="prefix"/> (a full prefix of the same bucket, "" or ending in '/') on the same
    /// endpoint, sharing this store's client and limits (<see cref="StoreLocation.Sibling"/>: a prefix that does not end in
    /// '/' is refused). Disposing the sibling leaves them to this store. A decorator's
    /// sibling is its inner store's: decorators watch the requests of the prefix they wrap.
    /// </summary>
    IObjectStore At(string prefix);

    /// <summary>
    /// Lists every object under the prefix (or under <paramref name="under"/> within it, "" for all) in key order, page
    /// by page, keys relative to the store's prefix; from the first key after <paramref name="startAfter"/> (relative to
    /// the store's prefix too; null: from the start), so a listing can be split into ranges run side by side
    /// (<see cref="Planning.RangeListing"/>). A key the server gives outside the prefix is never handed out.
    /// </summary>
    IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, CancellationToken cancellationToken);

    /// <summary>A HEAD of the current object; null when there is none.</summary>
    Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>PUTs a whole body, plain (no aws-chunked framing, no trailer) with its Content-MD5.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken);

    /// <summary>GETs an object, or <paramref name="length"/> bytes of it from <paramref name="offset"/> (length null:
    /// all), only while its ETag is <paramref name="ifMatch"/> when given (a part of an object replaced mid-download
    /// fails instead of mixing two versions). A version: <see cref="IObjectVersions.GetAsync"/>.</summary>
    Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken);

    /// <summary>The whole body of the current object as a stream (<c>verify --download</c>), read with the site's customer key.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes keys (up to 1,000 per request); returns the keys that could not be deleted with why.</summary>
    Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken);

    /// <summary>Uploads in parts and their housekeeping; null when the store has none.</summary>
    IMultipartUploads? Multipart { get; }

    /// <summary>Server-side copies (moves, backup copies, metadata and storage class rewrites); null when the store has none.</summary>
    IServerCopy? Copy { get; }

    /// <summary>Versions of a versioned bucket (<c>--at</c>, <c>ls --versions</c>); null when the store has none.</summary>
    IObjectVersions? Versions { get; }

    /// <summary>Listings by one level (the delimiter '/'), which split a large listing; null when the store has none.</summary>
    IFolderListing? Folders { get; }

    /// <summary>Bucket administration (<c>create_bucket</c>); null when the store has none.</summary>
    IBucketAdmin? Buckets { get; }
}
