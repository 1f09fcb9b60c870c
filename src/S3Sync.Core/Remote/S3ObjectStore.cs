using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using S3Sync.Config;

namespace S3Sync.Remote;

/// <summary>
/// <see cref="IObjectStore"/> over AWSSDK.S3's low-level calls. Every body goes up plain, with Content-MD5 and
/// no aws-chunked framing or CRC trailer: SDK v4 sends those by default, and many S3-compatible servers either
/// refuse them or store the framing as data. TransferUtility cannot be told so over HTTP, hence multipart by hand.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    /// <summary>User metadata key holding the whole file's MD5, so content stays comparable whatever the ETag.</summary>
    public const string FingerprintKey = "s3sync-md5";

    /// <summary>The metadata key rclone keeps a multipart object's whole-file MD5 under (base64).</summary>
    public const string RcloneMd5Key = "md5chksum";

    private readonly AmazonS3Client _client;
    private readonly SignedPut? _signedPut;

    public S3ObjectStore(AmazonS3Client client) => _client = client;

    private S3ObjectStore(AmazonS3Client client, SignedPut? signedPut)
    {
        _client = client;
        _signedPut = signedPut;
    }

    public AmazonS3Client Client => _client;

    /// <summary>True while small PUTs go by <see cref="SignedPut"/> rather than the SDK.</summary>
    internal bool SignedPutActive => _signedPut is { Enabled: true };

    /// <summary>True while multipart parts go by <see cref="SignedPut"/> rather than the SDK.</summary>
    internal bool SignedPartsActive => _signedPut is { PartsEnabled: true };

    /// <summary>Builds a client for a site: its credentials, region and endpoint, else the SDK's default chain.</summary>
    public static S3ObjectStore ForSite(Site site, int connections, int retries, TimeSpan? timeout = null) =>
        ForSite(site, connections, retries, timeout, signed: Environment.GetEnvironmentVariable("S3SYNC_SDK_PUT") is null);

    /// <summary>As above; <paramref name="signed"/> false sends every PUT through the SDK (tests, S3SYNC_SDK_PUT).</summary>
    internal static S3ObjectStore ForSite(Site site, int connections, int retries, TimeSpan? timeout, bool signed)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = site.ForcePathStyle,
            MaxErrorRetry = retries,
            RetryMode = RequestRetryMode.Standard,
            Timeout = timeout ?? TimeSpan.FromSeconds(120),
            MaxConnectionsPerServer = Math.Max(2, connections),
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // AWS_ENDPOINT_URL(_S3) and a profile's endpoint_url are applied by s3sync (AwsEnvironment), which reads
            // an empty variable as unset; the SDK would read them again and fail on an empty one ("Custom endpoint ``").
            IgnoreConfiguredEndpointUrls = true,
        };
        if (site.Endpoint is not null)
        {
            config.ServiceURL = site.Endpoint;
            config.AuthenticationRegion = site.Region ?? AwsEnvironment.NonEmpty(Environment.GetEnvironmentVariable("AWS_REGION"))
                ?? AwsEnvironment.NonEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION")) ?? Defaults.DefaultRegion;
        }
        else if (site.Region is not null)
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(site.Region);
        }
        else
        {
            // The SDK's own fallback (AWS_REGION, the profile, instance metadata), set explicitly so that the client
            // does not read AWS_REGION again. No region anywhere, or a blank AWS_REGION: us-east-1, as rclone does,
            // rather than a run-time failure.
            var fallback = FallbackRegionFactory.GetRegionEndpoint();
            config.RegionEndpoint = string.IsNullOrWhiteSpace(fallback?.SystemName) ? Amazon.RegionEndpoint.USEast1 : fallback;
        }
        var client = site.Credentials is { } c
            ? new AmazonS3Client(new BasicAWSCredentials(c.AccessKey, c.SecretKey), config)
            : new AmazonS3Client(config);
        // Small PUTs skip the SDK's pipeline where that is simple and safe: static keys, a path-style endpoint.
        SignedPut? signedPut = null;
        if (signed && site.Credentials is { } keys && site.Endpoint is not null && site.ForcePathStyle
            && Uri.TryCreate(site.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https" && string.IsNullOrEmpty(endpoint.Query))
            signedPut = new SignedPut(endpoint, pathStyle: true, config.AuthenticationRegion, keys.AccessKey, keys.SecretKey, Math.Max(2, connections), retries, config.Timeout ?? TimeSpan.FromSeconds(120));
        return new S3ObjectStore(client, signedPut);
    }

    public async IAsyncEnumerable<RemoteObject> ListAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, MaxKeys = 1000, Encoding = EncodingType.Url };
        var next = _client.ListObjectsV2Async(request, cancellationToken);
        while (true)
        {
            var page = await Guard(next, cancellationToken).ConfigureAwait(false);
            // Ask for the next page before handing out this one: the server works while the merge consumes.
            var more = page.IsTruncated == true && !string.IsNullOrEmpty(page.NextContinuationToken);
            if (more)
                next = _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, MaxKeys = 1000, ContinuationToken = page.NextContinuationToken, Encoding = EncodingType.Url }, cancellationToken);
            foreach (var o in page.S3Objects ?? [])
            {
                var key = ListingKeys.Decode(o.Key);
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue; // defence: never act outside the prefix
                yield return new RemoteObject(key[prefix.Length..], o.Size ?? 0, Hashing.ETag.Normalize(o.ETag),
                    StorageClassName(o.StorageClass), o.LastModified?.ToUniversalTime() ?? default);
            }
            if (!more) yield break;
        }
    }

    public async IAsyncEnumerable<RemoteObject> ListAtAsync(string bucket, string prefix, DateTime at, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = bucket, Prefix = prefix, MaxKeys = 1000 };
        string? key = null;
        var decided = false; // the current key's version at `at` was found (or was a delete marker)
        while (true)
        {
            var page = await Guard(_client.ListVersionsAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            // Versions of one key come newest first; a key's versions may span pages.
            foreach (var v in page.Versions ?? [])
            {
                if (!v.Key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (v.Key != key) { key = v.Key; decided = false; }
                if (decided) continue;
                var modified = v.LastModified?.ToUniversalTime() ?? default;
                if (modified > at) continue;
                decided = true;
                if (v.IsDeleteMarker == true) continue;
                yield return new RemoteObject(v.Key[prefix.Length..], v.Size ?? 0, Hashing.ETag.Normalize(v.ETag), StorageClassName(v.StorageClass), modified)
                {
                    VersionId = string.IsNullOrEmpty(v.VersionId) ? "null" : v.VersionId,
                };
            }
            if (page.IsTruncated != true) yield break;
            request.KeyMarker = page.NextKeyMarker;
            request.VersionIdMarker = page.NextVersionIdMarker;
        }
    }

    /// <summary>
    /// The whole-file MD5 (lowercase hex) an upload recorded in the object's metadata: s3sync's own
    /// (<c>s3sync-md5</c>), else rclone's (<c>md5chksum</c>, base64; rclone sets it on multipart uploads), else
    /// s3cmd's (<c>md5:</c> in <c>s3cmd-attrs</c>). Null when none holds a well-formed MD5.
    /// </summary>
    public static string? FingerprintOf(Func<string, string?> metadata)
    {
        if (metadata(FingerprintKey)?.Trim() is { } own && Hashing.ETag.IsMd5Hex(own)) return own.ToLowerInvariant();
        if (metadata(RcloneMd5Key) is { } rclone)
        {
            Span<byte> md5 = stackalloc byte[16];
            if (Convert.TryFromBase64String(rclone.Trim(), md5, out var written) && written == 16) return Convert.ToHexStringLower(md5);
        }
        if (metadata("s3cmd-attrs") is { } attrs)
        {
            foreach (var attr in attrs.Split('/'))
                if (attr.StartsWith("md5:", StringComparison.Ordinal) && Hashing.ETag.IsMd5Hex(attr[4..])) return attr[4..].ToLowerInvariant();
        }
        return null;
    }

    private static string StorageClassName(S3StorageClass? storageClass) =>
        storageClass is null || string.IsNullOrEmpty(storageClass.Value) ? Defaults.StorageClass : storageClass.Value;

    public async Task<ObjectHead?> HeadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            var r = await Guard(_client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken).ConfigureAwait(false);
            return new ObjectHead(r.ContentLength, Hashing.ETag.Normalize(r.ETag), StorageClassName(r.StorageClass),
                r.Metadata is { } metadata ? FingerprintOf(name => metadata[name]) : null,
                r.ServerSideEncryptionMethod?.Value is { Length: > 0 } sse ? sse : null,
                r.ServerSideEncryptionCustomerMethod?.Value is { Length: > 0 })
            {
                File = r.Metadata is { } m ? ObjectMetadata.Parse(name => m[name]) : null,
                LastModifiedUtc = r.LastModified?.ToUniversalTime() ?? default,
            };
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
    {
        if (_signedPut is { Enabled: true } && await _signedPut.TryPutAsync(bucket, key, body, md5, headers, cancellationToken).ConfigureAwait(false))
            return;
        using var stream = AsStream(body);
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = stream,
            AutoCloseStream = false,
            MD5Digest = Convert.ToBase64String(md5),
            UseChunkEncoding = false,
        };
        Apply(headers.ToHttpHeaders(multipart: false), request.Headers, request.Metadata, c => request.StorageClass = c);
        await Guard(_client.PutObjectAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public async Task<string> StartMultipartAsync(string bucket, string key, UploadHeaders headers, CancellationToken cancellationToken)
    {
        var request = new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
        };
        Apply(headers.ToHttpHeaders(multipart: true), request.Headers, request.Metadata, c => request.StorageClass = c);
        var r = await Guard(_client.InitiateMultipartUploadAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        return r.UploadId;
    }

    public async Task<string> UploadPartAsync(string bucket, string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
    {
        if (_signedPut is { PartsEnabled: true }
            && await _signedPut.TryUploadPartAsync(bucket, key, uploadId, partNumber, body, md5, cancellationToken).ConfigureAwait(false) is { } signedETag)
            return signedETag;
        using var stream = AsStream(body);
        var r = await Guard(_client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = partNumber,
            InputStream = stream,
            PartSize = body.Length,
            MD5Digest = Convert.ToBase64String(md5),
            UseChunkEncoding = false,
        }, cancellationToken), cancellationToken).ConfigureAwait(false);
        return r.ETag;
    }

    /// <summary>Completes an upload. The response's ETag is not read: some servers (Ceph) return it empty.</summary>
    public async Task CompleteMultipartAsync(string bucket, string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken)
    {
        var request = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = [] };
        foreach (var (number, etag) in parts) request.PartETags.Add(new PartETag(number, etag));
        await Guard(_client.CompleteMultipartUploadAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    public async Task AbortMultipartAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await Guard(_client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // already gone
        }
    }

    public async IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix, Encoding = EncodingType.Url };
        while (true)
        {
            var page = await Guard(_client.ListMultipartUploadsAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (var u in page.MultipartUploads ?? [])
                yield return new OpenUpload(ListingKeys.Decode(u.Key), u.UploadId, u.Initiated?.ToUniversalTime() ?? default);
            if (page.IsTruncated != true) yield break;
            request.KeyMarker = page.NextKeyMarker is { } marker ? ListingKeys.Decode(marker) : null;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public async Task ReplaceMetadataAsync(string bucket, string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken)
    {
        var request = new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = key,
            DestinationBucket = bucket,
            DestinationKey = key,
            MetadataDirective = S3MetadataDirective.REPLACE,
        };
        Apply(headers.ToHttpHeaders(multipart), request.Headers, request.Metadata, c => request.StorageClass = c);
        await Guard(_client.CopyObjectAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Puts <see cref="UploadHeaders.ToHttpHeaders"/> on an SDK request: the SDK's own properties for content
    /// type, storage class and user metadata, the header collection for anything else.</summary>
    private static void Apply(IReadOnlyList<KeyValuePair<string, string>> headers, HeadersCollection collection, MetadataCollection metadata, Action<S3StorageClass> storageClass)
    {
        foreach (var (name, value) in headers)
        {
            if (name == "content-type") collection.ContentType = value;
            else if (name == "x-amz-storage-class") storageClass(S3StorageClass.FindValue(value));
            else if (name.StartsWith(UploadHeaders.MetaPrefix, StringComparison.Ordinal)) metadata[name[UploadHeaders.MetaPrefix.Length..]] = value;
            else collection[name] = value;
        }
    }

    public async Task ChangeStorageClassAsync(string bucket, string key, string storageClass, CancellationToken cancellationToken)
    {
        await Guard(_client.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = key,
            DestinationBucket = bucket,
            DestinationKey = key,
            StorageClass = S3StorageClass.FindValue(storageClass),
            MetadataDirective = S3MetadataDirective.COPY,
        }, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes with DeleteObjects, 1,000 keys a request, except keys that cannot travel in its XML body: a control
    /// character (XML 1.0 forbids most C0 controls, and parsers turn a CR into a LF, naming another key), U+FFFE,
    /// U+FFFF or a lone surrogate. Those go one by one with DeleteObject, where the key is percent-encoded in the
    /// path. A request that fails is the failure of its keys only: the rest are still tried.
    /// </summary>
    public async Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var failed = new List<(string, string)>();
        foreach (var batch in keys.Where(FitsDeleteBody).Chunk(1000))
        {
            try
            {
                var request = new DeleteObjectsRequest { BucketName = bucket, Quiet = true, Objects = [.. batch.Select(k => new KeyVersion { Key = k })] };
                var r = await Guard(_client.DeleteObjectsAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
                foreach (var e in r.DeleteErrors ?? []) failed.Add((e.Key, $"{e.Code}: {e.Message}"));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var why = StoreErrors.Describe(e);
                foreach (var key in batch) failed.Add((key, why));
            }
        }
        foreach (var key in keys.Where(k => !FitsDeleteBody(k)))
        {
            try
            {
                await Guard(_client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failed.Add((key, StoreErrors.Describe(e)));
            }
        }
        return failed;
    }

    /// <summary>True when the key can be written into a DeleteObjects XML body and read back unchanged.</summary>
    internal static bool FitsDeleteBody(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsControl(c) || c is '\uFFFE' or '\uFFFF') return false;
            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return false;
        }
        return true;
    }

    public async Task<Stream> OpenReadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var r = await Guard(_client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken).ConfigureAwait(false);
        return r.ResponseStream;
    }

    public async Task<ObjectDownload> GetAsync(string bucket, string key, long offset, long? length, string? versionId, string? ifMatch, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId };
        if (ifMatch is { Length: > 0 }) request.EtagToMatch = "\"" + ifMatch + "\"";
        if (length is { } n) request.ByteRange = new ByteRange(offset, offset + Math.Max(0, n - 1));
        var r = await Guard(_client.GetObjectAsync(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        var metadata = r.Metadata;
        var encrypted = r.ServerSideEncryptionMethod?.Value is "aws:kms" or "aws:kms:dsse" || r.ServerSideEncryptionCustomerMethod?.Value is { Length: > 0 };
        return new ObjectDownload(r.ResponseStream, r.ContentLength, Hashing.ETag.Normalize(r.ETag),
            metadata is null ? null : FingerprintOf(name => metadata[name]),
            metadata is null ? null : ObjectMetadata.Parse(name => metadata[name]), encrypted, r);
    }

    /// <summary>
    /// The SDK reports a request that ran past <c>Timeout</c> (after its retries) as a cancellation. Only the
    /// caller's token means "interrupted"; anything else is a timeout, an error like any other failed request.
    /// </summary>
    private static async Task<T> Guard<T>(Task<T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTimeout(e))
        {
            throw new TimeoutException("the request timed out: the server did not answer in time", e);
        }
        catch (AmazonS3Exception e) when (string.IsNullOrWhiteSpace(e.Message))
        {
            // Some answers (404 NoSuchBucket from Ceph, HEAD errors) come without a message: say what is known.
            var what = string.IsNullOrEmpty(e.ErrorCode) ? e.StatusCode.ToString() : e.ErrorCode;
            throw new AmazonS3Exception($"{what} (HTTP {(int)e.StatusCode})", e, e.ErrorType, e.ErrorCode, e.RequestId, e.StatusCode);
        }
    }

    /// <summary>A cancellation or timeout anywhere in the chain (the SDK wraps HttpClient's in its own exceptions).</summary>
    private static bool IsTimeout(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is OperationCanceledException or TimeoutException) return true;
        return false;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);

    public void Dispose()
    {
        _client.Dispose();
        _signedPut?.Dispose();
    }
}
