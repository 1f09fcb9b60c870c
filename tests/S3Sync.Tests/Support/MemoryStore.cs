using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using S3Sync.Local;
using S3Sync.Remote;

namespace S3Sync.Tests.Support;

/// <summary>
/// An <see cref="IObjectStore"/> held in memory, for fast table tests of the executor, the deletion stage and the
/// watcher (restic's mem backend, rclone's memory backend). It behaves as S3 does where the engine relies on it: key
/// order by UTF-8 bytes, a body checked against its Content-MD5 (<see cref="StoreErrorKind.BadDigest"/>), real ETags
/// (the MD5 of the bytes; a multipart object's is the MD5 of its parts' MD5s then "-N"), user metadata written with
/// the object and read back by HEAD and GET, ranges, If-Match (<see cref="StoreErrorKind.PreconditionFailed"/>),
/// versions (every write and delete is kept, so <see cref="ListAtAsync"/> answers), open uploads and their parts.
/// <para>Bound as a real store is: to one bucket and a prefix ("" or ending in '/'); the
/// seam's keys are relative to it and joined, never resolved. <see cref="At"/> gives a sibling over the same bucket.
/// What a test inspects (<see cref="Objects"/>, <see cref="Keys"/>, <see cref="Calls"/>, <see cref="Seed"/>, the
/// indexer) is the bucket's view: full keys.</para>
/// <para>Each capability can be taken away (<see cref="CanMultipart"/>, <see cref="CanCopy"/>, ...): the store then
/// answers null for it, as a store that cannot.</para>
/// </summary>
public sealed class MemoryStore : IObjectStore, IMultipartUploads, IServerCopy, IObjectVersions, IFolderListing, IBucketAdmin
{
    /// <summary>One version of an object, or a delete marker (<see cref="Body"/> null).</summary>
    public sealed record Stored(string Key, byte[]? Body, string ETag, string StorageClass, IReadOnlyDictionary<string, string> Metadata,
        IReadOnlyDictionary<string, string> Headers, DateTime LastModified, string VersionId)
    {
        public string? Meta(string name) => Metadata.TryGetValue(name, out var v) ? v : null;
    }

    private sealed record Upload(string Key, string Id, DateTime Initiated, UploadHeaders Headers)
    {
        public ConcurrentDictionary<int, (byte[] Body, string ETag, DateTime At)> Parts { get; } = new();
    }

    /// <summary>The bucket's contents, shared by a store and its siblings.</summary>
    private sealed class Contents(TimeProvider time)
    {
        public TimeProvider Time { get; } = time;
        public object Gate { get; } = new();
        public Dictionary<string, List<Stored>> Versions { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, Upload> Uploads { get; } = new(StringComparer.Ordinal);
        public ConcurrentQueue<string> Calls { get; } = new();
        public int Version;
        public Func<string, string, Exception?> Fault { get; set; } = (_, _) => null;
    }

    private readonly Contents _contents;
    private readonly TimeProvider _time;
    private readonly object _gate;
    private readonly Dictionary<string, List<Stored>> _versions;
    private readonly ConcurrentDictionary<string, Upload> _uploads;

    public MemoryStore(string bucket, TimeProvider? time = null, string prefix = "") : this(new Contents(time ?? TimeProvider.System), new StoreLocation(bucket, prefix)) { }

    private MemoryStore(Contents contents, StoreLocation location)
    {
        _contents = contents;
        _time = contents.Time;
        _gate = contents.Gate;
        _versions = contents.Versions;
        _uploads = contents.Uploads;
        Location = location;
    }

    public StoreLocation Location { get; }

    /// <summary>A sibling bound to <paramref name="prefix"/> of the same bucket, with the same capabilities.</summary>
    public IObjectStore At(string prefix) => new MemoryStore(_contents, Location.Sibling(prefix))
    {
        CanMultipart = CanMultipart, CanCopy = CanCopy, CanVersions = CanVersions, CanListFolders = CanListFolders, CanCreateBuckets = CanCreateBuckets,
    };

    public bool CanMultipart { get; set; } = true;
    public bool CanCopy { get; set; } = true;
    public bool CanVersions { get; set; } = true;
    public bool CanListFolders { get; set; } = true;
    public bool CanCreateBuckets { get; set; } = true;

    public IMultipartUploads? Multipart => CanMultipart ? this : null;
    public IServerCopy? Copy => CanCopy ? this : null;
    public IObjectVersions? Versions => CanVersions ? this : null;
    public IFolderListing? Folders => CanListFolders ? this : null;
    public IBucketAdmin? Buckets => CanCreateBuckets ? this : null;

    /// <summary>Every call as "VERB key" (PUT, POST?uploads, PART, COMPLETE, ABORT, COPY, DELETE, HEAD, GET, LIST), in order; full keys.</summary>
    public IReadOnlyList<string> Calls => [.. _contents.Calls];

    /// <summary>Asked before every call with its verb and full key: an exception returned is thrown (a fault to inject).</summary>
    public Func<string, string, Exception?> Fault { get => _contents.Fault; set => _contents.Fault = value; }

    /// <summary>Set: the bucket is gone; every call fails as <see cref="StoreErrorKind.MissingBucket"/>.</summary>
    public bool BucketMissing { get; set; }

    /// <summary>The newest version of each key that is not deleted, in key order.</summary>
    public IReadOnlyList<Stored> Objects
    {
        get
        {
            lock (_gate)
                return [.. _versions.Values.Select(v => v[^1]).Where(o => o.Body is not null).OrderBy(o => o.Key, KeyOrder.Instance)];
        }
    }

    public IReadOnlyList<string> Keys => [.. Objects.Select(o => o.Key)];

    public Stored? this[string key]
    {
        get
        {
            lock (_gate) return _versions.TryGetValue(key, out var v) && v[^1].Body is not null ? v[^1] : null;
        }
    }

    /// <summary>Puts an object as another tool would: bytes, optional user metadata, no checks.</summary>
    public Stored Seed(string key, byte[] body, IReadOnlyDictionary<string, string>? metadata = null, string storageClass = "STANDARD") =>
        Write(key, body, Convert.ToHexStringLower(MD5.HashData(body)), storageClass, metadata ?? new Dictionary<string, string>(), new Dictionary<string, string>());

    private Stored Write(string key, byte[]? body, string etag, string storageClass, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> headers)
    {
        lock (_gate)
        {
            var stored = new Stored(key, body, etag, storageClass, metadata, headers, _time.GetUtcNow().UtcDateTime, (++_contents.Version).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!_versions.TryGetValue(key, out var list)) _versions[key] = list = [];
            list.Add(stored);
            return stored;
        }
    }

    /// <summary>Records a call on a relative key; returns the full key it names.</summary>
    private string Enter(string verb, string key)
    {
        key = Location.Join(key);
        _contents.Calls.Enqueue($"{verb} {key}");
        if (Fault(verb, key) is { } fault) throw fault;
        if (BucketMissing) throw new StoreException(StoreErrorKind.MissingBucket, "NoSuchBucket (HTTP 404)", "NoSuchBucket", 404);
        return key;
    }

    /// <summary>A full key the store gave out, relative to its prefix.</summary>
    private string Relative(string key) => key[Location.Prefix.Length..];

    private static StoreException NotFound(string key) => new(StoreErrorKind.NotFound, $"NoSuchKey (HTTP 404): {key}", "NoSuchKey", 404);

    private static void CheckDigest(ReadOnlyMemory<byte> body, byte[] md5)
    {
        if (!MD5.HashData(body.Span).AsSpan().SequenceEqual(md5))
            throw new StoreException(StoreErrorKind.BadDigest, "BadDigest (HTTP 400)", "BadDigest", 400);
    }

    private static (IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, string> Headers, string StorageClass) Split(UploadHeaders headers, bool multipart)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var other = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers.ToHttpHeaders(multipart))
        {
            if (name.StartsWith(UploadHeaders.MetaPrefix, StringComparison.Ordinal)) metadata[name[UploadHeaders.MetaPrefix.Length..]] = value;
            else if (!name.StartsWith("x-amz-server-side-encryption-customer-key", StringComparison.Ordinal)) other[name] = value;
        }
        return (metadata, other, headers.StorageClass);
    }

    public async IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = Enter("LIST", under);
        await Task.Yield();
        foreach (var o in Objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!o.Key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var key = Relative(o.Key);
            if (startAfter is null || KeyOrder.Instance.Compare(key, startAfter) > 0) yield return Listed(o, key);
        }
    }

    public Task<FolderLevel?> ListLevelAsync(string under, int most, CancellationToken cancellationToken)
    {
        var prefix = Enter("LIST?delimiter", under);
        var below = Objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var folders = below.Select(o => o.Key[prefix.Length..]).Where(k => k.Contains('/', StringComparison.Ordinal))
            .Select(k => k[..(k.IndexOf('/', StringComparison.Ordinal) + 1)]).Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance).ToList();
        var objects = below.Where(o => !o.Key[prefix.Length..].Contains('/', StringComparison.Ordinal)).Select(o => Listed(o, o.Key[prefix.Length..])).ToList();
        return Task.FromResult<FolderLevel?>(folders.Count + objects.Count > most ? null : new FolderLevel(objects, folders));
    }

    public Task<bool> CreateBucketIfMissingAsync(string? region, CancellationToken cancellationToken)
    {
        _contents.Calls.Enqueue($"PUT s3://{Location.Bucket}");
        var missing = BucketMissing;
        BucketMissing = false;
        return Task.FromResult(missing);
    }

    private static RemoteObject Listed(Stored o, string relative) => new(relative, o.Body!.Length, o.ETag, o.StorageClass, o.LastModified);

    public async IAsyncEnumerable<RemoteObject> ListAtAsync(DateTime at, string under, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = Enter("LIST?versions", under);
        var after = startAfter is null ? null : Location.Join(startAfter);
        await Task.Yield();
        List<RemoteObject> found;
        lock (_gate)
            found = [.. _versions.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal) && (after is null || KeyOrder.Instance.Compare(v.Key, after) > 0))
                .OrderBy(v => v.Key, KeyOrder.Instance).Select(v => KeyAt(v.Key, v.Value, at, Location.Prefix.Length))];
        foreach (var o in found) yield return o;
    }

    public Task<FolderLevel?> ListLevelAtAsync(DateTime at, string under, int most, CancellationToken cancellationToken)
    {
        var prefix = Enter("LIST?versions&delimiter", under);
        List<string> folders;
        List<RemoteObject> objects;
        lock (_gate)
        {
            var below = _versions.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            folders = [.. below.Select(v => v.Key[prefix.Length..]).Where(k => k.Contains('/', StringComparison.Ordinal))
                .Select(k => k[..(k.IndexOf('/', StringComparison.Ordinal) + 1)]).Distinct(StringComparer.Ordinal).Order(KeyOrder.Instance)];
            objects = [.. below.Where(v => !v.Key[prefix.Length..].Contains('/', StringComparison.Ordinal)).OrderBy(v => v.Key, KeyOrder.Instance)
                .Select(v => KeyAt(v.Key, v.Value, at, prefix.Length))];
        }
        return Task.FromResult<FolderLevel?>(folders.Count + objects.Count > most ? null : new FolderLevel(objects, folders));
    }

    /// <summary>What a key held at a time (<see cref="KeyAtTime"/>), its key with <paramref name="strip"/> characters taken off.</summary>
    private static RemoteObject KeyAt(string key, List<Stored> versions, DateTime at, int strip) =>
        versions.LastOrDefault(s => s.LastModified <= at) is not { } v
            ? new RemoteObject(key[strip..], 0, "", "STANDARD", versions.Min(s => s.LastModified)) { At = KeyAtTime.NotYet }
            : v.Body is null
            ? new RemoteObject(key[strip..], 0, "", "STANDARD", v.LastModified) { VersionId = v.VersionId, At = KeyAtTime.Deleted }
            : Listed(v, key[strip..]) with { VersionId = v.VersionId };

    public async IAsyncEnumerable<ObjectVersion> ListVersionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = Enter("LIST?versions", "");
        await Task.Yield();
        List<(Stored Version, bool Latest)> all;
        lock (_gate)
            all = [.. _versions.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(v => v.Key, KeyOrder.Instance)
                .SelectMany(v => v.Value.Select((s, i) => (s, i == v.Value.Count - 1)).Reverse())];
        foreach (var (v, latest) in all)
            yield return new ObjectVersion(Relative(v.Key), v.VersionId, latest, v.Body is null, v.Body?.Length ?? 0, v.ETag, v.StorageClass, v.LastModified);
    }

    public Task<ObjectHead?> HeadAsync(string key, string? versionId, CancellationToken cancellationToken)
    {
        if (versionId is null) return HeadAsync(key, cancellationToken);
        var full = Enter("HEAD", key);
        Stored? o;
        lock (_gate) o = _versions.GetValueOrDefault(full)?.FirstOrDefault(v => v.VersionId == versionId && v.Body is not null);
        return Task.FromResult(o is null ? null : Head(o));
    }

    public Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        key = Enter("HEAD", key);
        return Task.FromResult(this[key] is { } o ? Head(o) : null);
    }

    private static ObjectHead? Head(Stored o) =>
        new ObjectHead(o.Body!.Length, o.ETag, o.StorageClass, S3ObjectStore.FingerprintOf(o.Meta), o.Headers.GetValueOrDefault("x-amz-server-side-encryption"), false)
        {
            File = ObjectMetadata.Parse(o.Meta),
            LastModifiedUtc = o.LastModified,
            SettingsDigest = o.Meta(UploadHeaders.SettingsKey),
        };

    public Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
    {
        key = Enter("PUT", key);
        CheckDigest(body, md5);
        var (metadata, other, storageClass) = Split(headers, multipart: false);
        Write(key, body.ToArray(), Convert.ToHexStringLower(md5), storageClass, metadata, other);
        return Task.CompletedTask;
    }

    public Task<string> StartMultipartAsync(string key, UploadHeaders headers, CancellationToken cancellationToken)
    {
        key = Enter("POST?uploads", key);
        var id = Guid.NewGuid().ToString("N");
        _uploads[id] = new Upload(key, id, _time.GetUtcNow().UtcDateTime, headers);
        return Task.FromResult(id);
    }

    public Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
    {
        key = Enter("PART", key);
        if (!_uploads.TryGetValue(uploadId, out var upload) || upload.Key != key) throw new StoreException(StoreErrorKind.NotFound, "NoSuchUpload (HTTP 404)", "NoSuchUpload", 404);
        CheckDigest(body, md5);
        var etag = Convert.ToHexStringLower(md5);
        upload.Parts[partNumber] = (body.ToArray(), etag, _time.GetUtcNow().UtcDateTime);
        return Task.FromResult($"\"{etag}\"");
    }

    public Task CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken)
    {
        key = Enter("COMPLETE", key);
        if (!_uploads.TryRemove(uploadId, out var upload) || upload.Key != key) throw new StoreException(StoreErrorKind.NotFound, "NoSuchUpload (HTTP 404)", "NoSuchUpload", 404);
        using var whole = new MemoryStream();
        using var md5s = new MemoryStream();
        var previous = 0;
        foreach (var (number, etag) in parts)
        {
            if (number <= previous || !upload.Parts.TryGetValue(number, out var part) || part.ETag != ETag.Normalize(etag))
                throw new StoreException(StoreErrorKind.BadRequest, "InvalidPart (HTTP 400)", "InvalidPart", 400);
            previous = number;
            whole.Write(part.Body);
            md5s.Write(Convert.FromHexString(part.ETag));
        }
        var (metadata, other, storageClass) = Split(upload.Headers, multipart: true);
        Write(key, whole.ToArray(), $"{Convert.ToHexStringLower(MD5.HashData(md5s.ToArray()))}-{parts.Count}", storageClass, metadata, other);
        return Task.CompletedTask;
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        Enter("ABORT", key);
        _uploads.TryRemove(uploadId, out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var prefix = Enter("LIST?uploads", "");
        await Task.Yield();
        foreach (var u in _uploads.Values.Where(u => u.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(u => u.Key, KeyOrder.Instance))
            yield return new OpenUpload(Relative(u.Key), u.Id, u.Initiated);
    }

    public Task<DateTime?> LastPartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        Enter("LIST?parts", key);
        if (!_uploads.TryGetValue(uploadId, out var upload)) throw new StoreException(StoreErrorKind.NotFound, "NoSuchUpload (HTTP 404)", "NoSuchUpload", 404);
        return Task.FromResult(upload.Parts.IsEmpty ? (DateTime?)null : upload.Parts.Values.Max(p => p.At));
    }

    public Task ReplaceMetadataAsync(string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken)
    {
        key = Enter("COPY", key);
        var o = this[key] ?? throw NotFound(key);
        var (metadata, other, storageClass) = Split(headers, multipart);
        Write(key, o.Body, o.ETag, storageClass, metadata, other);
        return Task.CompletedTask;
    }

    public Task<string> CopyAsync(StoreLocation source, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken)
    {
        if (source.Bucket != Location.Bucket) throw new ArgumentException("a server-side copy stays in one bucket", nameof(source));
        key = Enter("COPY", key);
        var o = this[source.Join(sourceKey)] ?? throw NotFound(source.Join(sourceKey));
        if (ifMatch is { Length: > 0 } && ETag.Normalize(ifMatch) != o.ETag)
            throw new StoreException(StoreErrorKind.PreconditionFailed, "PreconditionFailed (HTTP 412)", "PreconditionFailed", 412);
        var (metadata, other, _) = replace is null ? (o.Metadata, o.Headers, storageClass) : Split(replace, multipart: false);
        // One CopyObject writes the object anew: its ETag is the MD5 of its bytes, whatever the source's layout.
        return Task.FromResult(Write(key, o.Body, Convert.ToHexStringLower(MD5.HashData(o.Body!)), storageClass, metadata, other).ETag);
    }

    public Task ChangeStorageClassAsync(string key, string storageClass, CancellationToken cancellationToken)
    {
        key = Enter("COPY", key);
        var o = this[key] ?? throw NotFound(key);
        Write(key, o.Body, o.ETag, storageClass, o.Metadata, o.Headers);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var failed = new List<(string, string)>();
        foreach (var key in keys)
        {
            try
            {
                var full = Enter("DELETE", key);
                if (this[full] is not null) Write(full, null, "", "", new Dictionary<string, string>(), new Dictionary<string, string>());
            }
            catch (StoreException e)
            {
                failed.Add((key, e.Message));
            }
        }
        return Task.FromResult<IReadOnlyList<(string Key, string Error)>>(failed);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) =>
        (await GetAsync(key, 0, null, null, cancellationToken).ConfigureAwait(false)).Body;

    public Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) =>
        GetAsync(key, null, offset, length, ifMatch, cancellationToken);

    public Task<ObjectDownload> GetAsync(string key, string? versionId, long offset, long? length, string? ifMatch, CancellationToken cancellationToken)
    {
        key = Enter("GET", key);
        Stored? o;
        lock (_gate)
            o = versionId is null ? this[key] : _versions.GetValueOrDefault(key)?.FirstOrDefault(v => v.VersionId == versionId && v.Body is not null);
        if (o is null) throw NotFound(key);
        if (ifMatch is { Length: > 0 } && ETag.Normalize(ifMatch) != o.ETag)
            throw new StoreException(StoreErrorKind.PreconditionFailed, "PreconditionFailed (HTTP 412)", "PreconditionFailed", 412);
        var start = (int)Math.Min(offset, o.Body!.Length);
        var count = (int)Math.Min(length ?? long.MaxValue, o.Body.Length - start);
        var partSize = long.TryParse(o.Meta(UploadHeaders.PartSizeKey), out var p) ? p : (long?)null;
        return Task.FromResult(new ObjectDownload(new MemoryStream(o.Body, start, count, writable: false), count, o.ETag, S3ObjectStore.FingerprintOf(o.Meta), ObjectMetadata.Parse(o.Meta), false)
        {
            MtimeNs = ObjectMetadata.ParseMtime(o.Meta(ObjectMetadata.MtimeKey)),
            MetadataProblem = ObjectMetadata.Problem(o.Meta),
            PartSize = partSize,
        });
    }

    public void Dispose() { }
}
