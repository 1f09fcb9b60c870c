using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using S3Sync.Hashing;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Tests.Support;

/// <summary>
/// An <see cref="IObjectStore"/> held in memory, for fast table tests of the executor, the deletion stage and the
/// watcher (restic's mem backend, rclone's memory backend). It behaves as S3 does where the engine relies on it: key
/// order by UTF-8 bytes, a body checked against its Content-MD5 (<see cref="StoreErrorKind.BadDigest"/>), real ETags
/// (the MD5 of the bytes; a multipart object's is the MD5 of its parts' MD5s then "-N"), user metadata written with
/// the object and read back by HEAD and GET, ranges, If-Match (<see cref="StoreErrorKind.PreconditionFailed"/>),
/// versions (every write and delete is kept, so <see cref="ListAtAsync"/> answers), open uploads and their parts.
/// One bucket per store: a call naming another fails as <see cref="StoreErrorKind.MissingBucket"/>.
/// </summary>
public sealed class MemoryStore(string bucket, TimeProvider? time = null) : IObjectStore
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

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly object _gate = new();
    private readonly Dictionary<string, List<Stored>> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _calls = new();
    private int _version;

    /// <summary>Every call as "VERB key" (PUT, POST?uploads, PART, COMPLETE, ABORT, COPY, DELETE, HEAD, GET, LIST), in order.</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Asked before every call with its verb and key: an exception returned is thrown (a fault to inject).</summary>
    public Func<string, string, Exception?> Fault { get; set; } = (_, _) => null;

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
            var stored = new Stored(key, body, etag, storageClass, metadata, headers, _time.GetUtcNow().UtcDateTime, (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!_versions.TryGetValue(key, out var list)) _versions[key] = list = [];
            list.Add(stored);
            return stored;
        }
    }

    private void Enter(string verb, string bucketName, string key)
    {
        _calls.Enqueue($"{verb} {key}");
        if (Fault(verb, key) is { } fault) throw fault;
        if (bucketName != bucket) throw new StoreException(StoreErrorKind.MissingBucket, "NoSuchBucket (HTTP 404)", "NoSuchBucket", 404);
    }

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

    public IAsyncEnumerable<RemoteObject> ListAsync(string bucketName, string prefix, CancellationToken cancellationToken) => ListAsync(bucketName, prefix, null, cancellationToken);

    public async IAsyncEnumerable<RemoteObject> ListAsync(string bucketName, string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("LIST", bucketName, prefix);
        await Task.Yield();
        foreach (var o in Objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!o.Key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var key = o.Key[prefix.Length..];
            if (startAfter is null || KeyOrder.Instance.Compare(key, startAfter) > 0) yield return Listed(o, key);
        }
    }

    private static RemoteObject Listed(Stored o, string relative) => new(relative, o.Body!.Length, o.ETag, o.StorageClass, o.LastModified);

    public async IAsyncEnumerable<RemoteObject> ListAtAsync(string bucketName, string prefix, DateTime at, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("LIST?versions", bucketName, prefix);
        await Task.Yield();
        List<Stored> found;
        lock (_gate)
            found = [.. _versions.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(v => v.Value.LastOrDefault(s => s.LastModified <= at)).OfType<Stored>().Where(s => s.Body is not null).OrderBy(s => s.Key, KeyOrder.Instance)];
        foreach (var o in found) yield return Listed(o, o.Key[prefix.Length..]) with { VersionId = o.VersionId };
    }

    public Task<ObjectHead?> HeadAsync(string bucketName, string key, CancellationToken cancellationToken)
    {
        Enter("HEAD", bucketName, key);
        if (this[key] is not { } o) return Task.FromResult<ObjectHead?>(null);
        return Task.FromResult<ObjectHead?>(new ObjectHead(o.Body!.Length, o.ETag, o.StorageClass, S3ObjectStore.FingerprintOf(o.Meta), o.Headers.GetValueOrDefault("x-amz-server-side-encryption"), false)
        {
            File = ObjectMetadata.Parse(o.Meta),
            LastModifiedUtc = o.LastModified,
            SettingsDigest = o.Meta(UploadHeaders.SettingsKey),
        });
    }

    public Task PutAsync(string bucketName, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
    {
        Enter("PUT", bucketName, key);
        CheckDigest(body, md5);
        var (metadata, other, storageClass) = Split(headers, multipart: false);
        Write(key, body.ToArray(), Convert.ToHexStringLower(md5), storageClass, metadata, other);
        return Task.CompletedTask;
    }

    public Task<string> StartMultipartAsync(string bucketName, string key, UploadHeaders headers, CancellationToken cancellationToken)
    {
        Enter("POST?uploads", bucketName, key);
        var id = Guid.NewGuid().ToString("N");
        _uploads[id] = new Upload(key, id, _time.GetUtcNow().UtcDateTime, headers);
        return Task.FromResult(id);
    }

    public Task<string> UploadPartAsync(string bucketName, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
    {
        Enter("PART", bucketName, key);
        if (!_uploads.TryGetValue(uploadId, out var upload) || upload.Key != key) throw new StoreException(StoreErrorKind.NotFound, "NoSuchUpload (HTTP 404)", "NoSuchUpload", 404);
        CheckDigest(body, md5);
        var etag = Convert.ToHexStringLower(md5);
        upload.Parts[partNumber] = (body.ToArray(), etag, _time.GetUtcNow().UtcDateTime);
        return Task.FromResult($"\"{etag}\"");
    }

    public Task CompleteMultipartAsync(string bucketName, string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken)
    {
        Enter("COMPLETE", bucketName, key);
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

    public Task AbortMultipartAsync(string bucketName, string key, string uploadId, CancellationToken cancellationToken)
    {
        Enter("ABORT", bucketName, key);
        _uploads.TryRemove(uploadId, out _);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(string bucketName, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("LIST?uploads", bucketName, prefix);
        await Task.Yield();
        foreach (var u in _uploads.Values.Where(u => u.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(u => u.Key, KeyOrder.Instance))
            yield return new OpenUpload(u.Key, u.Id, u.Initiated);
    }

    public Task<DateTime?> LastPartAsync(string bucketName, string key, string uploadId, CancellationToken cancellationToken)
    {
        Enter("LIST?parts", bucketName, key);
        if (!_uploads.TryGetValue(uploadId, out var upload)) throw new StoreException(StoreErrorKind.NotFound, "NoSuchUpload (HTTP 404)", "NoSuchUpload", 404);
        return Task.FromResult(upload.Parts.IsEmpty ? (DateTime?)null : upload.Parts.Values.Max(p => p.At));
    }

    public Task ReplaceMetadataAsync(string bucketName, string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken)
    {
        Enter("COPY", bucketName, key);
        var o = this[key] ?? throw NotFound(key);
        var (metadata, other, storageClass) = Split(headers, multipart);
        Write(key, o.Body, o.ETag, storageClass, metadata, other);
        return Task.CompletedTask;
    }

    public Task ChangeStorageClassAsync(string bucketName, string key, string storageClass, CancellationToken cancellationToken)
    {
        Enter("COPY", bucketName, key);
        var o = this[key] ?? throw NotFound(key);
        Write(key, o.Body, o.ETag, storageClass, o.Metadata, o.Headers);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucketName, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var failed = new List<(string, string)>();
        foreach (var key in keys)
        {
            try
            {
                Enter("DELETE", bucketName, key);
                if (this[key] is not null) Write(key, null, "", "", new Dictionary<string, string>(), new Dictionary<string, string>());
            }
            catch (StoreException e)
            {
                failed.Add((key, e.Message));
            }
        }
        return Task.FromResult<IReadOnlyList<(string Key, string Error)>>(failed);
    }

    public async Task<Stream> OpenReadAsync(string bucketName, string key, CancellationToken cancellationToken) =>
        (await GetAsync(bucketName, key, 0, null, null, null, cancellationToken).ConfigureAwait(false)).Body;

    public Task<ObjectDownload> GetAsync(string bucketName, string key, long offset, long? length, string? versionId, string? ifMatch, CancellationToken cancellationToken)
    {
        Enter("GET", bucketName, key);
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
