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
public sealed class S3ObjectStore : IObjectStore, IMultipartUploads, IServerCopy, IObjectVersions, IFolderListing, IBucketAdmin
{
    /// <summary>User metadata key holding the whole file's MD5, so content stays comparable whatever the ETag.</summary>
    public const string FingerprintKey = "s3sync-md5";

    /// <summary>The metadata key rclone keeps a multipart object's whole-file MD5 under (base64).</summary>
    public const string RcloneMd5Key = "md5chksum";

    private readonly AmazonS3Client _client;
    private readonly SignedPut? _signedPut;
    private readonly Encryption _encryption = Encryption.None;
    private readonly string? _acl;
    private readonly RequestPolicy _policy;
    private readonly BandwidthLimiter? _bandwidth;
    private readonly StoreLocation _location;

    /// <summary>False for a sibling (<see cref="At"/>): the client and the signed path are its maker's to dispose.</summary>
    private readonly bool _owner;

    /// <summary>A store over <paramref name="client"/> bound to <paramref name="location"/> (tests: the fixture's client,
    /// which the store does not own, hence never disposes).</summary>
    public S3ObjectStore(AmazonS3Client client, StoreLocation location) : this(client, location, null, Encryption.None, null, new RequestPolicy(), null, owner: false) { }

    private S3ObjectStore(AmazonS3Client client, StoreLocation location, SignedPut? signedPut, Encryption encryption, string? acl, RequestPolicy policy, BandwidthLimiter? bandwidth, bool owner)
    {
        _client = client;
        _location = location;
        _owner = owner;
        _signedPut = signedPut;
        _encryption = encryption;
        _acl = acl;
        _policy = policy;
        _bandwidth = bandwidth;
    }

    /// <summary>A body metered by the run's bandwidth limit, when it has one.</summary>
    private Stream Metered(Stream stream) => _bandwidth?.Wrap(stream) ?? stream;

    public AmazonS3Client Client => _client;

    public StoreLocation Location => _location;

    /// <inheritdoc/>
    public IObjectStore At(string prefix) =>
        new S3ObjectStore(_client, _location.Sibling(prefix), _signedPut, _encryption, _acl, _policy, _bandwidth, owner: false)
        {
            SingleCopyLimit = SingleCopyLimit,
            CopyPartSize = CopyPartSize,
        };

    public IMultipartUploads Multipart => this;
    public IServerCopy Copy => this;
    public IObjectVersions Versions => this;
    public IFolderListing Folders => this;
    public IBucketAdmin Buckets => this;
    IMultipartUploads? IObjectStore.Multipart => this;
    IServerCopy? IObjectStore.Copy => this;
    IObjectVersions? IObjectStore.Versions => this;
    IFolderListing? IObjectStore.Folders => this;
    IBucketAdmin? IObjectStore.Buckets => this;

    /// <summary>True while small PUTs go by <see cref="SignedPut"/> rather than the SDK.</summary>
    internal bool SignedPutActive => _signedPut is { Enabled: true };

    /// <summary>True while multipart parts go by <see cref="SignedPut"/> rather than the SDK.</summary>
    internal bool SignedPartsActive => _signedPut is { PartsEnabled: true };

    /// <summary>Builds a client for a site: its credentials, region and endpoint, else the SDK's default chain.</summary>
    /// <param name="retrying">Hears each retry ("retrying PUT k (attempt 2/6): SlowDown (HTTP 503)").</param>
    /// <param name="limit">The endpoint's limit on requests in flight (<see cref="RequestLimits"/>); null: none.</param>
    /// <param name="bandwidth">The run's bandwidth limit every body up and down is metered by; null: none.</param>
    public static S3ObjectStore ForSite(Site site, int connections, int retries, TimeSpan? timeout = null, Action<string>? retrying = null, AdaptiveConcurrency? limit = null, BandwidthLimiter? bandwidth = null) =>
        ForSite(site, connections, retries, timeout, signed: Environment.GetEnvironmentVariable("S3SYNC_SDK_PUT") is null, retrying, limit: limit, bandwidth: bandwidth);

    /// <summary>As above; <paramref name="signed"/> false sends every PUT through the SDK (tests, S3SYNC_SDK_PUT).</summary>
    /// <param name="explicitCredentials">Replace the site's keys, its profile and the SDK's chain (tests: a refreshing
    /// source whose keys rotate).</param>
    internal static S3ObjectStore ForSite(Site site, int connections, int retries, TimeSpan? timeout, bool signed, Action<string>? retrying = null, AWSCredentials? explicitCredentials = null, AdaptiveConcurrency? limit = null, BandwidthLimiter? bandwidth = null)
    {
        var policy = new RequestPolicy { Timeout = timeout ?? TimeSpan.FromSeconds(Defaults.RequestTimeoutSeconds), Retries = retries, Retrying = retrying, Concurrency = limit };
        var config = new AmazonS3Config
        {
            ForcePathStyle = site.ForcePathStyle,
            // s3sync retries itself (Guard): each retry is logged, and count and total time are bounded. The SDK's own
            // timeout is only a backstop: each attempt's deadline (covering the body too) is Guard's.
            MaxErrorRetry = 0,
            RetryMode = RequestRetryMode.Standard,
            Timeout = TimeSpan.FromHours(1),
            HttpClientFactory = new DeadlineHttpClientFactory(Math.Max(2, connections)),
            MaxConnectionsPerServer = Math.Max(2, connections),
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // AWS_ENDPOINT_URL(_S3) and a profile's endpoint_url are applied by s3sync (AwsEnvironment), which reads
            // an empty variable as unset; the SDK would read them again and fail on an empty one ("Custom endpoint ``").
            IgnoreConfiguredEndpointUrls = true,
            // No redirect is followed (DeadlineHandler refuses them below the SDK; this keeps the SDK from asking).
            AllowAutoRedirect = false,
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
        // One credentials object for the SDK client and the signed path: static keys from the configuration, a named
        // profile, else the SDK's default chain (environment, AWS_PROFILE, web identity, container or instance role),
        // resolved on first use by the client's own resolver.
        var credentials = explicitCredentials
            ?? (site.Credentials is { } c ? new BasicAWSCredentials(c.AccessKey, c.SecretKey) : ProfileCredentials(site.Profile));
        var client = credentials is not null ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
        // The PUTs skip the SDK's pipeline wherever s3sync can address the bucket as the SDK would (SignedEndpoint).
        SignedPut? signedPut = null;
        if (signed && SignedEndpoint.For(site, config, Environment.GetEnvironmentVariable) is { } target)
            signedPut = new SignedPut(target.Uri, target.PathStyle, target.Region, CredentialSource(credentials, config), Math.Max(2, connections), policy, bandwidth);
        return new S3ObjectStore(client, new StoreLocation(site.Bucket, site.ListPrefix), signedPut, site.Encryption, site.Acl, policy, bandwidth, owner: true);
    }

    /// <summary>
    /// The credentials of a named profile (<c>profile</c>, <c>--profile</c>): keys, a role to assume, SSO, a
    /// credential_process, as the SDK resolves them from <c>~/.aws/config</c> and <c>~/.aws/credentials</c>. A named
    /// profile wins over the environment's keys, as <c>aws --profile</c> does. Null without a profile (the SDK's chain,
    /// which honours <c>AWS_PROFILE</c>).
    /// </summary>
    internal static AWSCredentials? ProfileCredentials(string? profile)
    {
        if (profile is null) return null;
        var chain = new Amazon.Runtime.CredentialManagement.CredentialProfileStoreChain();
        return chain.TryGetAWSCredentials(profile, out var credentials) ? credentials : null;
    }

    /// <summary>
    /// The credentials the signed path signs with, asked before every request. Refreshing credentials (web identity,
    /// roles, session tokens) renew themselves inside the SDK as they near expiry; the chain is resolved once, on the
    /// first upload, by the same resolver the SDK client uses. A failure to resolve is null: the SDK takes over and
    /// reports the problem as it always has.
    /// </summary>
    private static Func<CancellationToken, Task<ImmutableCredentials?>> CredentialSource(AWSCredentials? credentials, AmazonS3Config config)
    {
        Task<Amazon.Runtime.Identity.BaseIdentity>? resolved = credentials is not null ? Task.FromResult<Amazon.Runtime.Identity.BaseIdentity>(credentials) : null;
        return async _ =>
        {
            // The resolver the SDK's own pipeline asks (it caches what it resolved), so both sign with the same identity.
            var source = await (resolved ??= config.IdentityResolverConfiguration.GetIdentityResolver<AWSCredentials>().ResolveIdentityAsync(config, CancellationToken.None)).ConfigureAwait(false);
            return source is AWSCredentials aws ? await aws.GetCredentialsAsync().ConfigureAwait(false) : null;
        };
    }

    public async IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        var prefix = _location.Join(under);
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, MaxKeys = 1000, Encoding = EncodingType.Url, StartAfter = startAfter is null ? null : _location.Join(startAfter) };
        var what = $"LIST s3://{bucket}/{prefix}";
        var next = Guard(what, t => _client.ListObjectsV2Async(request, t), cancellationToken);
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        var empty = 0;
        while (true)
        {
            var page = await next.ConfigureAwait(false);
            var more = page.IsTruncated == true;
            if (more) CheckProgress($"s3://{bucket}/{prefix}", "continuation token", page.NextContinuationToken, page.S3Objects?.Count ?? 0, tokens, ref empty);
            // Ask for the next page before handing out this one: the server works while the merge consumes.
            if (more)
            {
                var nextRequest = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, MaxKeys = 1000, ContinuationToken = page.NextContinuationToken, Encoding = EncodingType.Url };
                next = Guard(what, t => _client.ListObjectsV2Async(nextRequest, t), cancellationToken);
            }
            foreach (var o in page.S3Objects ?? [])
            {
                var key = ListingKeys.Decode(o.Key);
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue; // defence: never act outside the prefix
                yield return new RemoteObject(key[_location.Prefix.Length..], o.Size ?? 0, ETag.Normalize(o.ETag),
                    StorageClassName(o.StorageClass), o.LastModified?.ToUniversalTime() ?? default);
            }
            if (!more) yield break;
        }
    }

    public async Task<FolderLevel?> ListLevelAsync(string under, int most, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        var prefix = _location.Join(under);
        var folders = new List<string>();
        var objects = new List<RemoteObject>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, Delimiter = "/", MaxKeys = 1000, Encoding = EncodingType.Url };
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        var empty = 0;
        while (true)
        {
            var page = await Guard($"LIST s3://{bucket}/{prefix}?delimiter=/", t => _client.ListObjectsV2Async(request, t), cancellationToken).ConfigureAwait(false);
            foreach (var common in page.CommonPrefixes ?? [])
            {
                var folder = ListingKeys.Decode(common);
                if (folder.StartsWith(prefix, StringComparison.Ordinal) && folder.Length > prefix.Length && folder.EndsWith('/')) folders.Add(folder[prefix.Length..]);
            }
            foreach (var o in page.S3Objects ?? [])
            {
                var key = ListingKeys.Decode(o.Key);
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
                objects.Add(new RemoteObject(key[prefix.Length..], o.Size ?? 0, ETag.Normalize(o.ETag), StorageClassName(o.StorageClass), o.LastModified?.ToUniversalTime() ?? default));
            }
            if (folders.Count + objects.Count > most) return null;
            if (page.IsTruncated != true) break;
            CheckProgress($"s3://{bucket}/{prefix}", "continuation token", page.NextContinuationToken, (page.S3Objects?.Count ?? 0) + (page.CommonPrefixes?.Count ?? 0), tokens, ref empty);
            request.ContinuationToken = page.NextContinuationToken;
        }
        return new FolderLevel(objects, folders);
    }

    public IAsyncEnumerable<RemoteObject> ListAtAsync(DateTime at, string under, string? startAfter, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = _location.Bucket, Prefix = _location.Join(under), MaxKeys = 1000, Encoding = EncodingType.Url, KeyMarker = startAfter is null ? null : _location.Join(startAfter) };
        return KeysAtAsync(VersionsAsync(request, null, 0, cancellationToken), at, _location.Prefix.Length, cancellationToken);
    }

    public async Task<FolderLevel?> ListLevelAtAsync(DateTime at, string under, int most, CancellationToken cancellationToken)
    {
        var prefix = _location.Join(under);
        var request = new ListVersionsRequest { BucketName = _location.Bucket, Prefix = prefix, Delimiter = "/", MaxKeys = 1000, Encoding = EncodingType.Url };
        var folders = new List<string>();
        var objects = new List<RemoteObject>();
        await foreach (var o in KeysAtAsync(VersionsAsync(request, folders, most, cancellationToken), at, prefix.Length, cancellationToken).ConfigureAwait(false))
        {
            objects.Add(o);
            if (folders.Count + objects.Count > most) return null;
        }
        return folders.Count + objects.Count > most ? null : new FolderLevel(objects, [.. folders.Select(f => f[prefix.Length..])]);
    }

    /// <summary>The versions of a listing, page after page, each key's newest first; with a delimiter, its folders (full
    /// keys) into <paramref name="folders"/>, which stops the listing past <paramref name="most"/> of them.</summary>
    private async IAsyncEnumerable<S3ObjectVersion> VersionsAsync(ListVersionsRequest request, List<string>? folders, int most, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (bucket, prefix) = (request.BucketName, request.Prefix);
        var markers = new HashSet<string>(StringComparer.Ordinal);
        var empty = 0;
        while (true)
        {
            var page = await Guard($"LIST s3://{bucket}/{prefix}?versions{(folders is null ? "" : "&delimiter=/")}", t => _client.ListVersionsAsync(request, t), cancellationToken).ConfigureAwait(false);
            foreach (var common in (page.CommonPrefixes ?? []).Select(ListingKeys.Decode))
                if (folders is not null && common.StartsWith(prefix, StringComparison.Ordinal) && common.Length > prefix.Length && common.EndsWith('/')) folders.Add(common);
            foreach (var v in page.Versions ?? [])
            {
                // Keys, folders and the marker come URL-encoded (asked for): a key holding NUL or ESC would break the XML.
                var name = ListingKeys.Decode(v.Key);
                if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue; // never act outside the prefix
                v.Key = name;
                yield return v;
            }
            if (page.IsTruncated != true || folders?.Count > most) yield break;
            var position = string.IsNullOrEmpty(page.NextKeyMarker) && string.IsNullOrEmpty(page.NextVersionIdMarker) ? null : $"{page.NextKeyMarker}\n{page.NextVersionIdMarker}";
            CheckProgress($"the versions of s3://{bucket}/{prefix}", "marker", position, (page.Versions?.Count ?? 0) + (page.CommonPrefixes?.Count ?? 0), markers, ref empty);
            request.KeyMarker = page.NextKeyMarker is { } marker ? ListingKeys.Decode(marker) : null;
            request.VersionIdMarker = page.NextVersionIdMarker;
        }
    }

    /// <summary>Per key (its versions come newest first, possibly across pages), what it held at <paramref name="at"/>;
    /// keys with <paramref name="strip"/> leading characters taken off.</summary>
    private static async IAsyncEnumerable<RemoteObject> KeysAtAsync(IAsyncEnumerable<S3ObjectVersion> versions, DateTime at, int strip, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? key = null;
        RemoteObject? decided = null; // the current key's version (or delete marker) at `at`
        DateTime? oldest = null; // of the current key's versions after `at`
        await foreach (var v in versions.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (v.Key != key)
            {
                if (key is not null) yield return decided ?? new RemoteObject(key[strip..], 0, "", Defaults.StorageClass, oldest ?? default) { At = KeyAtTime.NotYet };
                (key, decided, oldest) = (v.Key, null, null);
            }
            if (decided is not null) continue;
            var modified = v.LastModified?.ToUniversalTime() ?? default;
            if (modified > at)
            {
                if (oldest is null || modified < oldest) oldest = modified;
                continue;
            }
            decided = new RemoteObject(v.Key[strip..], v.Size ?? 0, ETag.Normalize(v.ETag), StorageClassName(v.StorageClass), modified)
            {
                VersionId = string.IsNullOrEmpty(v.VersionId) ? "null" : v.VersionId,
                At = v.IsDeleteMarker == true ? KeyAtTime.Deleted : KeyAtTime.Present,
            };
        }
        if (key is not null) yield return decided ?? new RemoteObject(key[strip..], 0, "", Defaults.StorageClass, oldest ?? default) { At = KeyAtTime.NotYet };
    }

    /// <summary>How many empty truncated pages in a row a listing may return before it counts as making no progress.</summary>
    internal const int MaxEmptyPages = 10;

    /// <summary>Refuses a truncated page that cannot lead anywhere new (see <see cref="ListingLoopException"/>).</summary>
    private static void CheckProgress(string what, string tokenName, string? token, int count, HashSet<string> seen, ref int empty)
    {
        if (string.IsNullOrEmpty(token))
            throw new ListingLoopException($"the listing of {what} is truncated but gives no {tokenName}: the server's listing would never end; stopped");
        if (!seen.Add(token))
            throw new ListingLoopException($"the listing of {what} repeated a {tokenName} after {seen.Count} pages: the server's listing is looping; stopped");
        empty = count == 0 ? empty + 1 : 0;
        if (empty >= MaxEmptyPages)
            throw new ListingLoopException($"the listing of {what} returned {empty} empty truncated pages in a row: no progress; stopped");
    }

    /// <summary>
    /// The whole-file MD5 (lowercase hex) an upload recorded in the object's metadata: s3sync's own
    /// (<c>s3sync-md5</c>), else rclone's (<c>md5chksum</c>, base64; rclone sets it on multipart uploads), else
    /// s3cmd's (<c>md5:</c> in <c>s3cmd-attrs</c>). Null when none holds a well-formed MD5.
    /// </summary>
    public static string? FingerprintOf(Func<string, string?> metadata)
    {
        if (metadata(FingerprintKey)?.Trim() is { } own && ETag.IsMd5Hex(own)) return own.ToLowerInvariant();
        if (metadata(RcloneMd5Key) is { } rclone)
        {
            Span<byte> md5 = stackalloc byte[16];
            if (Convert.TryFromBase64String(rclone.Trim(), md5, out var written) && written == 16) return Convert.ToHexStringLower(md5);
        }
        if (metadata("s3cmd-attrs") is { } attrs)
        {
            foreach (var attr in attrs.Split('/'))
                if (attr.StartsWith("md5:", StringComparison.Ordinal) && ETag.IsMd5Hex(attr[4..])) return attr[4..].ToLowerInvariant();
        }
        return null;
    }

    private static string StorageClassName(S3StorageClass? storageClass) =>
        storageClass is null || string.IsNullOrEmpty(storageClass.Value) ? Defaults.StorageClass : storageClass.Value;

    public Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) => HeadAsync(key, null, cancellationToken);

    public async Task<bool> CreateBucketIfMissingAsync(string? region, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        try
        {
            await Guard($"HEAD s3://{bucket}", t => _client.HeadBucketAsync(new HeadBucketRequest { BucketName = bucket }, t), cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (StoreException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
        }
        try
        {
            // A location constraint only outside us-east-1 (AWS refuses that one); the caller gives none for an
            // S3-compatible server (Ceph refuses one that is not its zone group's name).
            var request = new PutBucketRequest { BucketName = bucket };
            if (region is { Length: > 0 } r && r != "us-east-1") request.BucketRegionName = r;
            await Guard($"PUT s3://{bucket}", t => _client.PutBucketAsync(request, t), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StoreException e) when (e.Code == "BucketAlreadyOwnedByYou")
        {
            return false; // made meanwhile by another run of ours
        }
    }

    public async IAsyncEnumerable<ObjectVersion> ListVersionsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (bucket, prefix) = _location;
        var request = new ListVersionsRequest { BucketName = bucket, Prefix = prefix, MaxKeys = 1000, Encoding = EncodingType.Url };
        var markers = new HashSet<string>(StringComparer.Ordinal);
        var empty = 0;
        while (true)
        {
            var page = await Guard($"LIST s3://{bucket}/{prefix}?versions", t => _client.ListVersionsAsync(request, t), cancellationToken).ConfigureAwait(false);
            foreach (var v in page.Versions ?? [])
            {
                var name = ListingKeys.Decode(v.Key);
                if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue; // never outside the prefix
                yield return new ObjectVersion(name[prefix.Length..], string.IsNullOrEmpty(v.VersionId) ? "null" : v.VersionId, v.IsLatest == true, v.IsDeleteMarker == true,
                    v.Size ?? 0, ETag.Normalize(v.ETag), StorageClassName(v.StorageClass), v.LastModified?.ToUniversalTime() ?? default);
            }
            if (page.IsTruncated != true) yield break;
            var position = string.IsNullOrEmpty(page.NextKeyMarker) && string.IsNullOrEmpty(page.NextVersionIdMarker) ? null : $"{page.NextKeyMarker}\n{page.NextVersionIdMarker}";
            CheckProgress($"the versions of s3://{bucket}/{prefix}", "marker", position, page.Versions?.Count ?? 0, markers, ref empty);
            request.KeyMarker = page.NextKeyMarker is { } marker ? ListingKeys.Decode(marker) : null;
            request.VersionIdMarker = page.NextVersionIdMarker;
        }
    }

    public async Task<ObjectHead?> HeadAsync(string key, string? versionId, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        try
        {
            var request = new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId };
            SetCustomerKey(request);
            GetObjectMetadataResponse r;
            try
            {
                r = await Guard($"HEAD {key}", t => _client.GetObjectMetadataAsync(request, t), cancellationToken).ConfigureAwait(false);
            }
            catch (StoreException e) when (e.Status == (int)HttpStatusCode.BadRequest && _encryption.Mode == EncryptionMode.Customer)
            {
                // Not encrypted with a customer key (AWS refuses SSE-C headers for such an object): ask again without.
                r = await Guard($"HEAD {key}", t => _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key, VersionId = versionId }, t), cancellationToken).ConfigureAwait(false);
            }
            return new ObjectHead(r.ContentLength, ETag.Normalize(r.ETag), StorageClassName(r.StorageClass),
                r.Metadata is { } metadata ? FingerprintOf(name => metadata[name]) : null,
                r.ServerSideEncryptionMethod?.Value is { Length: > 0 } sse ? sse : null,
                r.ServerSideEncryptionCustomerMethod?.Value is { Length: > 0 })
            {
                File = r.Metadata is { } m ? ObjectMetadata.Parse(name => m[name], folder: key.EndsWith('/')) : null,
                LastModifiedUtc = r.LastModified?.ToUniversalTime() ?? default,
                SettingsDigest = r.Metadata?[UploadHeaders.SettingsKey] is { Length: > 0 } digest ? digest : null,
            };
        }
        catch (StoreException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        if (_signedPut is { Enabled: true } && await Crossing(_signedPut.TryPutAsync(bucket, key, body, md5, headers, cancellationToken)).ConfigureAwait(false))
            return;
        // A new request and body stream per attempt: a retry sends the body from its start.
        await Guard($"PUT {key}", async t =>
        {
            using var stream = Metered(AsStream(body));
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
            SetAclAndEncryption(request, headers);
            return await _client.PutObjectAsync(request, t).ConfigureAwait(false);
        }, cancellationToken, body.Length).ConfigureAwait(false);
    }

    public async Task<string> StartMultipartAsync(string key, UploadHeaders headers, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        var request = new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
        };
        Apply(headers.ToHttpHeaders(multipart: true), request.Headers, request.Metadata, c => request.StorageClass = c);
        SetAclAndEncryption(request, headers);
        var r = await Guard($"POST {key}?uploads", t => _client.InitiateMultipartUploadAsync(request, t), cancellationToken).ConfigureAwait(false);
        return r.UploadId;
    }

    public async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        if (_signedPut is { PartsEnabled: true }
            && await Crossing(_signedPut.TryUploadPartAsync(bucket, key, uploadId, partNumber, body, md5, _encryption, cancellationToken)).ConfigureAwait(false) is { } signedETag)
            return signedETag;
        var r = await Guard($"PUT {key} (part {partNumber})", async t =>
        {
            using var stream = Metered(AsStream(body));
            var part = new UploadPartRequest
            {
                BucketName = bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = partNumber,
                InputStream = stream,
                PartSize = body.Length,
                MD5Digest = Convert.ToBase64String(md5),
                UseChunkEncoding = false,
            };
            if (_encryption.Mode == EncryptionMode.Customer)
                (part.ServerSideEncryptionCustomerMethod, part.ServerSideEncryptionCustomerProvidedKey, part.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(_encryption);
            return await _client.UploadPartAsync(part, t).ConfigureAwait(false);
        }, cancellationToken, body.Length).ConfigureAwait(false);
        return r.ETag;
    }

    /// <summary>Completes an upload. The response's ETag is not read: some servers (Ceph) return it empty.</summary>
    public async Task CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string ETag)> parts, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        var request = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = [] };
        foreach (var (number, etag) in parts) request.PartETags.Add(new PartETag(number, etag));
        await Guard($"POST {key}?uploadId", t => _client.CompleteMultipartUploadAsync(request, t), cancellationToken).ConfigureAwait(false);
    }

    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        AbortFullAsync(_location.Bucket, _location.Join(key), uploadId, cancellationToken);

    private async Task AbortFullAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await Guard($"DELETE {key}?uploadId", t => _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, t), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            // already gone
        }
    }

    public async IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (bucket, prefix) = _location;
        var request = new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix, Encoding = EncodingType.Url };
        var markers = new HashSet<string>(StringComparer.Ordinal);
        var empty = 0;
        while (true)
        {
            var page = await Guard($"LIST s3://{bucket}/{prefix}?uploads", t => _client.ListMultipartUploadsAsync(request, t), cancellationToken).ConfigureAwait(false);
            foreach (var u in page.MultipartUploads ?? [])
            {
                var key = ListingKeys.Decode(u.Key);
                if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue; // never outside the prefix
                yield return new OpenUpload(key[prefix.Length..], u.UploadId, u.Initiated?.ToUniversalTime() ?? default);
            }
            if (page.IsTruncated != true) yield break;
            var position = string.IsNullOrEmpty(page.NextKeyMarker) && string.IsNullOrEmpty(page.NextUploadIdMarker) ? null : $"{page.NextKeyMarker}\n{page.NextUploadIdMarker}";
            CheckProgress($"the open multipart uploads of s3://{bucket}/{prefix}", "marker", position, page.MultipartUploads?.Count ?? 0, markers, ref empty);
            request.KeyMarker = page.NextKeyMarker is { } marker ? ListingKeys.Decode(marker) : null;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    public async Task<DateTime?> LastPartAsync(string key, string uploadId, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        var request = new ListPartsRequest { BucketName = bucket, Key = key, UploadId = uploadId, MaxParts = 1000 };
        var markers = new HashSet<string>(StringComparer.Ordinal);
        var empty = 0;
        DateTime? newest = null;
        while (true)
        {
            var page = await Guard($"LIST {key}?uploadId", t => _client.ListPartsAsync(request, t), cancellationToken).ConfigureAwait(false);
            foreach (var part in page.Parts ?? [])
                if (part.LastModified?.ToUniversalTime() is { } at && (newest is null || at > newest)) newest = at;
            if (page.IsTruncated != true) return newest;
            var marker = page.NextPartNumberMarker?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            CheckProgress($"the parts of {key} (upload {uploadId})", "part marker", marker, page.Parts?.Count ?? 0, markers, ref empty);
            request.PartNumberMarker = marker;
        }
    }

    public async Task ReplaceMetadataAsync(string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        var request = new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = key,
            DestinationBucket = bucket,
            DestinationKey = key,
            MetadataDirective = S3MetadataDirective.REPLACE,
        };
        Apply(headers.ToHttpHeaders(multipart), request.Headers, request.Metadata, c => request.StorageClass = c);
        // A copy is a new write: the ACL and encryption are given again. A source under SSE-C is read with the site's
        // key (under another key the copy fails, and the caller uploads the file again).
        request.CannedACL = headers.Acl is { } acl ? S3CannedACL.FindValue(acl) : null;
        SetEncryption(request, headers.Encryption, _encryption);
        await Guard($"COPY {key}", t => _client.CopyObjectAsync(request, t), cancellationToken).ConfigureAwait(false);
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
            else if (name == "cache-control") collection.CacheControl = value;
            else if (name == "content-encoding") collection.ContentEncoding = value;
            else if (name == "content-disposition") collection.ContentDisposition = value;
            else if (name == "x-amz-acl" || name.StartsWith("x-amz-server-side-encryption", StringComparison.Ordinal)) { } // the SDK's own properties: SetAclAndEncryption
            else collection[name] = value;
        }
    }

    /// <summary>The largest object one CopyObject takes; beyond it the copy goes in parts of <see cref="CopyPartBytes"/>.</summary>
    internal const long MaxSingleCopyBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>The part size of a copy in parts (UploadPartCopy): 512 MiB, so 5 TiB takes 10,240 parts at most.</summary>
    internal const long CopyPartBytes = 512L * 1024 * 1024;

    /// <summary><see cref="MaxSingleCopyBytes"/> for this store: a test lowers it to take the copy in parts with small objects.</summary>
    internal long SingleCopyLimit { get; init; } = MaxSingleCopyBytes;

    /// <summary><see cref="CopyPartBytes"/> for this store (a test lowers it with <see cref="SingleCopyLimit"/>).</summary>
    internal long CopyPartSize { get; init; } = CopyPartBytes;

    public async Task<string> CopyAsync(StoreLocation source, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken)
    {
        if (source.Bucket != _location.Bucket)
            throw new ArgumentException($"a server-side copy stays in one bucket: {source.Url} is not in {_location.Bucket}", nameof(source));
        var bucket = _location.Bucket;
        sourceKey = source.Join(sourceKey);
        key = _location.Join(key);
        var quoted = ifMatch is { Length: > 0 } ? "\"" + ETag.Normalize(ifMatch) + "\"" : null;
        if (size > SingleCopyLimit) return await CopyInPartsAsync(bucket, sourceKey, key, replace, storageClass, quoted, size, cancellationToken).ConfigureAwait(false);
        var request = new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = sourceKey,
            DestinationBucket = bucket,
            DestinationKey = key,
            ETagToMatch = quoted,
            MetadataDirective = replace is null ? S3MetadataDirective.COPY : S3MetadataDirective.REPLACE,
            StorageClass = S3StorageClass.FindValue(storageClass),
        };
        if (replace is not null)
        {
            Apply(replace.ToHttpHeaders(multipart: false), request.Headers, request.Metadata, c => request.StorageClass = c);
            request.CannedACL = replace.Acl is { } acl ? S3CannedACL.FindValue(acl) : null;
            SetEncryption(request, replace.Encryption, _encryption);
        }
        else
        {
            request.CannedACL = _acl is { } acl ? S3CannedACL.FindValue(acl) : null;
            SetEncryption(request, _encryption, _encryption);
        }
        var r = await Guard($"COPY {sourceKey} -> {key}", t => _client.CopyObjectAsync(request, t), cancellationToken).ConfigureAwait(false);
        return ETag.Normalize(r.ETag ?? "");
    }

    /// <summary>A copy over 5 GiB: CreateMultipartUpload with the headers (the source's, read by a HEAD, when none are
    /// given), UploadPartCopy per range under the same If-Match, CompleteMultipartUpload; aborted on any failure.</summary>
    private async Task<string> CopyInPartsAsync(string bucket, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken)
    {
        var start = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, StorageClass = S3StorageClass.FindValue(storageClass) };
        if (replace is not null)
        {
            Apply(replace.ToHttpHeaders(multipart: true), start.Headers, start.Metadata, c => start.StorageClass = c);
            SetAclAndEncryption(start, replace);
        }
        else
        {
            var head = new GetObjectMetadataRequest { BucketName = bucket, Key = sourceKey, EtagToMatch = ifMatch };
            SetCustomerKey(head);
            var source = await Guard($"HEAD {sourceKey}", t => _client.GetObjectMetadataAsync(head, t), cancellationToken).ConfigureAwait(false);
            foreach (var name in source.Metadata.Keys) start.Metadata[name] = source.Metadata[name];
            start.Headers.ContentType = source.Headers.ContentType;
            if (source.Headers.CacheControl is { } cc) start.Headers.CacheControl = cc;
            if (source.Headers.ContentEncoding is { } ce) start.Headers.ContentEncoding = ce;
            if (source.Headers.ContentDisposition is { } cd) start.Headers.ContentDisposition = cd;
            SetAclAndEncryption(start, new UploadHeaders(storageClass, source.Headers.ContentType ?? "application/octet-stream", null) { Acl = _acl, Encryption = _encryption });
        }
        var upload = await Guard($"POST {key}?uploads", t => _client.InitiateMultipartUploadAsync(start, t), cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            for (long offset = 0, number = 1; offset < size; offset += CopyPartSize, number++)
            {
                var part = new CopyPartRequest
                {
                    SourceBucket = bucket, SourceKey = sourceKey, DestinationBucket = bucket, DestinationKey = key,
                    UploadId = upload.UploadId, PartNumber = (int)number, FirstByte = offset, LastByte = Math.Min(size, offset + CopyPartSize) - 1,
                    ETagToMatch = ifMatch is null ? null : [ifMatch],
                };
                if (_encryption.Mode == EncryptionMode.Customer)
                {
                    (part.ServerSideEncryptionCustomerMethod, part.ServerSideEncryptionCustomerProvidedKey, part.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(_encryption);
                    (part.CopySourceServerSideEncryptionCustomerMethod, part.CopySourceServerSideEncryptionCustomerProvidedKey, part.CopySourceServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(_encryption);
                }
                var r = await Guard($"COPY {sourceKey} -> {key} (part {number})", t => _client.CopyPartAsync(part, t), cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag((int)number, r.ETag));
            }
            var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts };
            var done = await Guard($"POST {key}?uploadId", t => _client.CompleteMultipartUploadAsync(complete, t), cancellationToken).ConfigureAwait(false);
            return ETag.Normalize(done.ETag ?? "");
        }
        catch
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await AbortFullAsync(bucket, key, upload.UploadId, timeout.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is AmazonServiceException or OperationCanceledException or HttpRequestException) { }
            throw;
        }
    }

    public async Task ChangeStorageClassAsync(string key, string storageClass, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        // A copy is a new write: without the site's encryption and ACL it would land with the bucket's defaults.
        var request = new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = key,
            DestinationBucket = bucket,
            DestinationKey = key,
            StorageClass = S3StorageClass.FindValue(storageClass),
            MetadataDirective = S3MetadataDirective.COPY,
            CannedACL = _acl is { } acl ? S3CannedACL.FindValue(acl) : null,
        };
        SetEncryption(request, _encryption, _encryption);
        await Guard($"COPY {key}", t => _client.CopyObjectAsync(request, t), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes with DeleteObjects, 1,000 keys a request, except keys that cannot travel in its XML body: a control
    /// character (XML 1.0 forbids most C0 controls, and parsers turn a CR into a LF, naming another key), U+FFFE,
    /// U+FFFF or a lone surrogate. Those go one by one with DeleteObject, where the key is percent-encoded in the
    /// path. A request that fails is the failure of its keys only: the rest are still tried.
    /// </summary>
    public async Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        var prefix = _location.Prefix;
        var failed = new List<(string, string)>();
        foreach (var batch in keys.Select(_location.Join).Where(FitsDeleteBody).Chunk(1000))
        {
            try
            {
                var request = new DeleteObjectsRequest { BucketName = bucket, Quiet = true, Objects = [.. batch.Select(k => new KeyVersion { Key = k })] };
                var r = await Guard($"POST ?delete ({batch.Length} keys)", t => _client.DeleteObjectsAsync(request, t), cancellationToken).ConfigureAwait(false);
                foreach (var e in r.DeleteErrors ?? []) failed.Add((Relative(e.Key), $"{e.Code}: {e.Message}"));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var why = StoreErrors.Describe(e);
                foreach (var key in batch) failed.Add((Relative(key), why));
            }
        }
        foreach (var key in keys.Select(_location.Join).Where(k => !FitsDeleteBody(k)))
        {
            try
            {
                await Guard($"DELETE {key}", t => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, t), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                failed.Add((Relative(key), StoreErrors.Describe(e)));
            }
        }
        return failed;

        // The server names a failed key in full; the caller gave it relative.
        string Relative(string key) => key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
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

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        var request = new GetObjectRequest { BucketName = bucket, Key = key };
        if (_encryption.Mode == EncryptionMode.Customer)
            (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(_encryption);
        var r = await Guard($"GET {key}", t => _client.GetObjectAsync(request, t), cancellationToken).ConfigureAwait(false);
        return Metered(new StallGuardStream(r.ResponseStream, _policy.Timeout, $"GET {key}"));
    }

    /// <summary>The ACL and encryption of <see cref="UploadHeaders.ToHttpHeaders"/> through the SDK's own properties
    /// (<see cref="Apply"/> leaves those headers to them).</summary>
    private static void SetAclAndEncryption(PutObjectRequest request, UploadHeaders headers)
    {
        request.CannedACL = headers.Acl is { } acl ? S3CannedACL.FindValue(acl) : null;
        (request.ServerSideEncryptionMethod, request.ServerSideEncryptionKeyManagementServiceKeyId) = Sse(headers.Encryption);
        if (headers.Encryption.Mode == EncryptionMode.Customer)
            (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(headers.Encryption);
    }

    private static void SetAclAndEncryption(InitiateMultipartUploadRequest request, UploadHeaders headers)
    {
        request.CannedACL = headers.Acl is { } acl ? S3CannedACL.FindValue(acl) : null;
        (request.ServerSideEncryptionMethod, request.ServerSideEncryptionKeyManagementServiceKeyId) = Sse(headers.Encryption);
        if (headers.Encryption.Mode == EncryptionMode.Customer)
            (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(headers.Encryption);
    }

    private static (ServerSideEncryptionMethod?, string?) Sse(Encryption encryption) =>
        encryption.Header is { } mode ? (ServerSideEncryptionMethod.FindValue(mode), encryption.KmsKeyId) : (null, null);

    private static (ServerSideEncryptionCustomerMethod, string, string) CustomerKey(Encryption encryption) =>
        (ServerSideEncryptionCustomerMethod.AES256, encryption.CustomerKeyBase64, encryption.CustomerKeyMd5Base64);

    private void SetCustomerKey(GetObjectMetadataRequest request)
    {
        if (_encryption.Mode == EncryptionMode.Customer)
            (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(_encryption);
    }

    /// <summary>A copy's encryption: the target's <paramref name="to"/>, and the key to read a source under SSE-C.</summary>
    private static void SetEncryption(CopyObjectRequest request, Encryption to, Encryption sourceCustomerKey)
    {
        (request.ServerSideEncryptionMethod, request.ServerSideEncryptionKeyManagementServiceKeyId) = Sse(to);
        if (to.Mode == EncryptionMode.Customer)
            (request.ServerSideEncryptionCustomerMethod, request.ServerSideEncryptionCustomerProvidedKey, request.ServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(to);
        if (sourceCustomerKey.Mode == EncryptionMode.Customer)
            (request.CopySourceServerSideEncryptionCustomerMethod, request.CopySourceServerSideEncryptionCustomerProvidedKey, request.CopySourceServerSideEncryptionCustomerProvidedKeyMD5) = CustomerKey(sourceCustomerKey);
    }

    public Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken) =>
        GetAsync(key, null, offset, length, ifMatch, cancellationToken);

    public async Task<ObjectDownload> GetAsync(string key, string? versionId, long offset, long? length, string? ifMatch, CancellationToken cancellationToken)
    {
        var bucket = _location.Bucket;
        key = _location.Join(key);
        var request = new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId };
        if (ifMatch is { Length: > 0 }) request.EtagToMatch = "\"" + ifMatch + "\"";
        if (length is { } n) request.ByteRange = new ByteRange(offset, offset + Math.Max(0, n - 1));
        var r = await Guard($"GET {key}", t => _client.GetObjectAsync(request, t), cancellationToken).ConfigureAwait(false);
        var metadata = r.Metadata;
        var encrypted = r.ServerSideEncryptionMethod?.Value is "aws:kms" or "aws:kms:dsse" || r.ServerSideEncryptionCustomerMethod?.Value is { Length: > 0 };
        // bandwidth_limit meters downloads as it meters uploads: one limit for every transfer of the run.
        return new ObjectDownload(Metered(new StallGuardStream(r.ResponseStream, _policy.Timeout, $"GET {key}")), r.ContentLength, ETag.Normalize(r.ETag),
            metadata is null ? null : FingerprintOf(name => metadata[name]),
            metadata is null ? null : ObjectMetadata.Parse(name => metadata[name], folder: key.EndsWith('/')), encrypted, r)
        {
            MtimeNs = ObjectMetadata.ParseMtime(metadata?[ObjectMetadata.MtimeKey]),
            MetadataProblem = metadata is null ? null : ObjectMetadata.Problem(name => metadata[name]),
            PartSize = long.TryParse(metadata?[UploadHeaders.PartSizeKey], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var part)
                && part is >= ETag.MinPartSize and <= 5L * 1024 * 1024 * 1024 ? part : null,
        };
    }

    /// <summary>
    /// Runs one S3 call with s3sync's own retries (the SDK's are off, so each retry is logged and bounded). Each
    /// attempt runs under an <see cref="AttemptTimer"/>: it fails when <see cref="RequestPolicy.Timeout"/> passes with
    /// nothing moving, from the connection to the answer's last byte (<see cref="DeadlineHandler"/> aborts a body that
    /// stalls), and at its cap whatever trickles. Throttling, 5xx, timeouts and network errors are retried with
    /// jittered exponential backoff, at most <see cref="RequestPolicy.Retries"/> times and only while the call's failed
    /// attempts have waited less than <see cref="RequestPolicy.WaitBudget"/>. Only the caller's token means "interrupted".
    /// </summary>
    private async Task<T> Guard<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, long bodyBytes = 0) =>
        await Run(_policy, what, call, cancellationToken, bodyBytes).ConfigureAwait(false);

    /// <summary><see cref="Guard{T}"/> for any call (also <see cref="SignedPut"/>'s).</summary>
    internal static async Task<T> Run<T>(RequestPolicy policy, string what, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, long bodyBytes = 0)
    {
        if (policy.Unresponsive() is { } skipped) throw new TimeoutException(skipped);
        var waited = TimeSpan.Zero;
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            // Each attempt holds a slot of the endpoint's limit while it waits for its answer (not while backing off).
            var slot = policy.Concurrency is { } limit ? await limit.AcquireAsync(cancellationToken).ConfigureAwait(false) : default;
            var outcome = RequestOutcome.Unknown;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            using (var timer = new AttemptTimer(policy.Timeout, policy.CapFor(bodyBytes), cancellationToken))
            {
                var outer = AttemptTimer.Current.Value;
                AttemptTimer.Current.Value = timer;
                try
                {
                    var result = await call(timer.Token).ConfigureAwait(false);
                    policy.MarkAnswering();
                    outcome = RequestOutcome.Answered;
                    return result;
                }
                catch (AmazonServiceException e) when (e.StatusCode > 0)
                {
                    // An error answer is an answer: the server is there. Some (404 NoSuchBucket from Ceph, HEAD errors)
                    // come without a message: the StoreException it becomes names the code and status.
                    policy.MarkAnswering();
                    failure = e;
                    outcome = IsThrottling(e) ? RequestOutcome.Throttled : RequestOutcome.Answered;
                    waited += System.Diagnostics.Stopwatch.GetElapsedTime(started);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && (timer.Expired || IsTimeout(e)))
                {
                    failure = new TimeoutException($"the request timed out: {(timer.Expired ? timer.Why : "no answer in time")}", e);
                    outcome = RequestOutcome.Throttled;
                    waited += timer.Expired ? policy.Timeout : System.Diagnostics.Stopwatch.GetElapsedTime(started);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsRetryable(e))
                {
                    failure = e;
                    waited += System.Diagnostics.Stopwatch.GetElapsedTime(started);
                }
                catch (Exception e) when (StoreException.From(e) is StoreException crossing && !ReferenceEquals(crossing, e))
                {
                    // No SDK type crosses the seam (no credentials found, a refused redirect): not worth another attempt.
                    throw crossing;
                }
                finally
                {
                    AttemptTimer.Current.Value = outer;
                    slot.Release(outcome);
                }
            }
            var backoff = RequestPolicy.Backoff(attempt);
            if (!IsRetryable(failure) || attempt > policy.Retries || waited + backoff + policy.Timeout > policy.WaitBudget)
            {
                if (failure is TimeoutException) policy.MarkUnresponsive();
                var crossing = StoreException.From(failure);
                if (failure is TimeoutException || !ReferenceEquals(crossing, failure)) throw crossing;
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
            policy.Retrying?.Invoke(Reporting.Printable.Escape($"retrying {what} (attempt {attempt + 1}/{policy.Retries + 1}): {StoreErrors.Describe(failure)}"));
            waited += backoff;
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A call of <see cref="SignedPut"/>, whose handler may refuse a redirect below it, as it crosses the seam.</summary>
    private static async Task<T> Crossing<T>(Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception e) when (StoreException.From(e) is StoreException crossing && !ReferenceEquals(crossing, e))
        {
            throw crossing;
        }
    }

    /// <summary>The server asks for fewer requests: 503 SlowDown, 429, Throttling, ServiceUnavailable.</summary>
    internal static bool IsThrottling(AmazonServiceException e) =>
        (int)e.StatusCode is 429 or 503 || e.ErrorCode is "SlowDown" or "Throttling" or "ThrottlingException" or "ServiceUnavailable" or "RequestLimitExceeded";

    /// <summary>Worth another attempt: throttling, a server error, a timeout, a dropped connection.</summary>
    internal static bool IsRetryable(Exception e)
    {
        if (e is TimeoutException) return true;
        // 501 Not Implemented is a feature the server lacks (a delimiter, a version listing): asking again cannot help.
        if (e is AmazonServiceException s && (((int)s.StatusCode >= 500 && (int)s.StatusCode != 501) || (int)s.StatusCode == 429
            || s.ErrorCode is "SlowDown" or "Throttling" or "ThrottlingException" or "RequestTimeout" or "InternalError" or "ServiceUnavailable"))
            return true;
        if (e is AmazonServiceException { StatusCode: > 0 }) return false;
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is System.Net.Http.HttpRequestException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException) return true;
        return false;
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
        if (!_owner) return;
        _client.Dispose();
        _signedPut?.Dispose();
    }
}
