using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Sync.Tests.Support;

/// <summary>
/// The real S3 server for scenario tests: Ceph RGW started by <c>scripts/s3server.sh</c> on a free loopback port,
/// or the one named by <c>S3SYNC_TEST_ENDPOINT</c> (build.sh starts one for the whole run and passes it on).
/// </summary>
public class S3ServerFixture : IAsyncLifetime
{
    private readonly bool _alwaysOwn;
    private string? _stateDir;

    public S3ServerFixture() : this(alwaysOwn: false) { }

    /// <summary><paramref name="alwaysOwn"/>: start a private instance even when S3SYNC_TEST_ENDPOINT names one.</summary>
    protected S3ServerFixture(bool alwaysOwn) => _alwaysOwn = alwaysOwn;

    /// <summary>The instance's directory when this fixture started it (its PIDs are in StateDir/pids).</summary>
    public string? StateDir => _stateDir;

    public string Endpoint { get; private set; } = "";
    public string AccessKey { get; private set; } = "";
    public string SecretKey { get; private set; } = "";
    public AmazonS3Client Client { get; private set; } = null!;

    public static string RepoRoot { get; } = FindRepoRoot();

    public async Task InitializeAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("S3SYNC_TEST_ENDPOINT");
        if (string.IsNullOrEmpty(endpoint) || _alwaysOwn)
        {
            _stateDir = Path.Combine(Path.GetTempPath(), "s3sync-test-server-" + Guid.NewGuid().ToString("N")[..8]);
            var (code, output) = await RunScriptAsync("start", _stateDir);
            if (code != 0) throw new InvalidOperationException($"scripts/s3server.sh start failed ({code}):\n{output}");
            var env = File.ReadAllLines(Path.Combine(_stateDir, "env")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Endpoint = env["S3SYNC_TEST_ENDPOINT"];
            AccessKey = env["S3SYNC_TEST_ACCESS_KEY"];
            SecretKey = env["S3SYNC_TEST_SECRET_KEY"];
        }
        else
        {
            Endpoint = endpoint;
            AccessKey = Environment.GetEnvironmentVariable("S3SYNC_TEST_ACCESS_KEY") ?? throw new InvalidOperationException("S3SYNC_TEST_ACCESS_KEY is not set");
            SecretKey = Environment.GetEnvironmentVariable("S3SYNC_TEST_SECRET_KEY") ?? throw new InvalidOperationException("S3SYNC_TEST_SECRET_KEY is not set");
        }
        Client = new AmazonS3Client(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_stateDir is not null) await RunScriptAsync("stop", _stateDir, "--clean");
    }

    protected static async Task<(int, string)> RunScriptAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoRoot, "scripts", "s3server.sh"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "s3sync.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (s3sync.sln) above " + AppContext.BaseDirectory);
    }

    /// <summary>A new empty bucket with a unique name.</summary>
    public async Task<string> NewBucketAsync()
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..16];
        await Client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return name;
    }

    /// <summary>Open multipart uploads in a bucket.</summary>
    public async Task<List<MultipartUpload>> OpenUploadsAsync(string bucket) =>
        (await Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket })).MultipartUploads ?? [];

    /// <summary>Everything the bucket holds, as the server lists it.</summary>
    public async Task<List<S3Object>> ListAsync(string bucket, string prefix = "")
    {
        var all = new List<S3Object>();
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, Encoding = EncodingType.Url };
        while (true)
        {
            var page = await Client.ListObjectsV2Async(request);
            foreach (var o in page.S3Objects ?? []) o.Key = S3Sync.Remote.ListingKeys.Decode(o.Key);
            all.AddRange(page.S3Objects ?? []);
            if (page.IsTruncated != true) return all;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public async Task<byte[]> GetAsync(string bucket, string key)
    {
        using var r = await Client.GetObjectAsync(bucket, key);
        using var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    public async Task PutAsync(string bucket, string key, byte[] body, string? storageClass = null)
    {
        var request = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(body), UseChunkEncoding = false, MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(body)) };
        if (storageClass is not null) request.StorageClass = S3StorageClass.FindValue(storageClass);
        await Client.PutObjectAsync(request);
    }

    /// <summary>Uploads like another tool would: multipart with the given part size and no s3sync fingerprint
    /// (with <paramref name="metadata"/>, the user metadata that tool adds, names without <c>x-amz-meta-</c>).</summary>
    public async Task PutMultipartAsync(string bucket, string key, byte[] body, int partSize, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key };
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>()) initiate.Metadata[name] = value;
        var init = await Client.InitiateMultipartUploadAsync(initiate);
        var parts = new List<PartETag>();
        for (int offset = 0, n = 1; offset < body.Length; offset += partSize, n++)
        {
            var chunk = body.AsSpan(offset, Math.Min(partSize, body.Length - offset)).ToArray();
            var r = await Client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = init.UploadId, PartNumber = n, InputStream = new MemoryStream(chunk),
                PartSize = chunk.Length, UseChunkEncoding = false, MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(chunk)),
            });
            parts.Add(new PartETag(n, r.ETag));
        }
        await Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = init.UploadId, PartETags = parts });
    }
}

[CollectionDefinition("s3")]
public sealed class S3Collection : ICollectionFixture<S3ServerFixture>;
