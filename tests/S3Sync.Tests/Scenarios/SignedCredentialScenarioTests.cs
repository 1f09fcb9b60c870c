using System.Security.Cryptography;
using Amazon.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// The signed fast path signs with whatever credentials the SDK resolves, not only keys in the file (issue 16): the
/// binary runs through a recording proxy, and every PUT it sends must be s3sync's own (no SDK invocation id).
/// </summary>
[Collection("s3")]
public sealed class SignedCredentialScenarioTests(S3ServerFixture server)
{
    public enum Source { Environment, Profile }

    [Theory(Timeout = 120_000)]
    [InlineData(Source.Environment, false)]
    [InlineData(Source.Profile, false)]
    [InlineData(Source.Environment, true)]
    public async Task Sync_signs_its_puts_itself_with_credentials_from_the_chain(Source source, bool tls)
    {
        string pem = "";
        using var cert = tls ? TestCertificate.Create(out pem) : null;
        using var proxy = new FaultProxy(server.Endpoint, cert);
        using var s = await Scenario.CreateAsync(server);
        s.Write("small.txt", "signed by s3sync");
        var big = new byte[9 * 1024 * 1024];
        new Random(16).NextBytes(big);
        s.Write("big.bin", big);
        var home = Path.Combine(s.Root, "home");
        Directory.CreateDirectory(Path.Combine(home, ".aws"));
        // No keys in the configuration: they come from the environment or from a profile in ~/.aws.
        File.WriteAllText(s.ConfigPath, $"""
            endpoint: {proxy.Endpoint}
            force_path_style: true
            state_dir: {Path.Combine(s.Root, "state")}
            sites:
              - local_path: {s.Local}
                bucket: {s.Bucket}
            """);
        var env = new Dictionary<string, string> { ["HOME"] = home, ["AWS_REGION"] = "us-east-1" };
        if (source == Source.Environment)
        {
            env["AWS_ACCESS_KEY_ID"] = server.AccessKey;
            env["AWS_SECRET_ACCESS_KEY"] = server.SecretKey;
        }
        else
        {
            File.WriteAllText(Path.Combine(home, ".aws", "credentials"), $"[s3sync-test]\naws_access_key_id = {server.AccessKey}\naws_secret_access_key = {server.SecretKey}\n");
            env["AWS_PROFILE"] = "s3sync-test";
        }
        if (tls)
        {
            var ca = Path.Combine(s.Root, "ca.pem");
            File.WriteAllText(ca, pem);
            env["SSL_CERT_FILE"] = ca;
        }

        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath], env: env);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(big, await server.GetAsync(s.Bucket, "big.bin"));
        Assert.Equal("signed by s3sync"u8.ToArray(), await server.GetAsync(s.Bucket, "small.txt"));
        var puts = proxy.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal(3, puts.Count); // one small PUT, two parts
        Assert.All(puts, p => Assert.DoesNotContain("amz-sdk-invocation-id:", p.Head, StringComparison.OrdinalIgnoreCase));
        Assert.All(puts, p => Assert.Contains($"Credential={server.AccessKey}/", p.Head, StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task Credentials_that_rotate_during_a_run_are_picked_up_by_the_signed_path()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 6; i++) s.Write($"f{i}.txt", $"file {i}");
        var site = s.LoadSite();
        var credentials = new RotatingCredentials(server.AccessKey, server.SecretKey);
        using var store = S3ObjectStore.ForSite(site, 2, 1, null, signed: true, explicitCredentials: credentials);
        var results = new List<UploadResult>();

        // When the source renews its credentials after every upload (as a role's session does when it nears expiry)
        await using (var uploader = new Uploader(site, store, 1, 0, NullLogger.Instance, default))
        {
            uploader.Completed += r =>
            {
                lock (results) results.Add(r);
                credentials.ClearCredentials();
            };
            foreach (var f in Directory.GetFiles(s.Local).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(f);
                await uploader.EnqueueAsync(new PlanEntry(info.Name, ChangeReason.Missing, PlanAction.Upload, new S3Sync.Local.LocalEntry(info.Name, f, info.Length, info.LastWriteTimeUtc), null), default);
            }
            await uploader.CompleteAsync();
        }

        // Then every file went up by the signed path, each signed with a fresh generation of the credentials
        Assert.All(results, r => Assert.Equal(UploadOutcome.Uploaded, r.Outcome));
        Assert.Equal(6, (await server.ListAsync(s.Bucket)).Count);
        Assert.True(store.SignedPutActive, "the signed PUT was refused and the SDK took over");
        Assert.True(credentials.Generations >= 6, $"only {credentials.Generations} generations were asked for");
    }

    [Fact(Timeout = 60_000)]
    public async Task A_session_token_is_sent_and_signed()
    {
        // A proxy that answers every request with a 500 and records what it was sent.
        using var proxy = new FaultProxy(server.Endpoint) { Decide = (_, _, _) => 500 };
        using var put = new SignedPut(new Uri(proxy.Endpoint), pathStyle: true, "us-east-1",
            _ => Task.FromResult<ImmutableCredentials?>(new ImmutableCredentials("AKIDEXAMPLE", "secret", "the-session-token")), 2, new RequestPolicy { Retries = 0, Timeout = TimeSpan.FromSeconds(30) });

        await Assert.ThrowsAsync<StoreException>(() =>
            put.TryPutAsync("bucket", "k", "x"u8.ToArray(), MD5.HashData("x"u8), new UploadHeaders("STANDARD", "text/plain", "00"), default));

        var head = Assert.Single(proxy.Requests).Head;
        Assert.Contains("x-amz-security-token: the-session-token", head, StringComparison.OrdinalIgnoreCase);
        Assert.Matches("SignedHeaders=[^,]*x-amz-security-token", head);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("my.dotted.bucket", "/my.dotted.bucket/k")]
    [InlineData("Legacy_Bucket", "/Legacy_Bucket/k")]
    public async Task Virtual_host_style_falls_back_to_the_path_for_a_bucket_that_is_no_host_label(string bucket, string target)
    {
        // A proxy that answers every request with a 500 and records what it was sent.
        using var proxy = new FaultProxy(server.Endpoint) { Decide = (_, _, _) => 500 };
        using var put = new SignedPut(new Uri(proxy.Endpoint), pathStyle: false, "us-east-1",
            _ => Task.FromResult<ImmutableCredentials?>(new ImmutableCredentials("AKIDEXAMPLE", "secret", null)), 2, new RequestPolicy { Retries = 0, Timeout = TimeSpan.FromSeconds(30) });

        await Assert.ThrowsAsync<StoreException>(() =>
            put.TryPutAsync(bucket, "k", "x"u8.ToArray(), MD5.HashData("x"u8), new UploadHeaders("STANDARD", "text/plain", "00"), default));

        // Virtual-host style was asked for, but the bucket went into the path and the host stayed the endpoint's.
        var request = Assert.Single(proxy.Requests);
        Assert.Equal(target, request.Target);
        Assert.Equal(new Uri(proxy.Endpoint).Authority, request.Header("Host"));
    }

    [Theory]
    [InlineData(null, false, "eu-west-1", "https://s3.eu-west-1.amazonaws.com/", false)]
    [InlineData(null, true, "eu-west-1", "https://s3.eu-west-1.amazonaws.com/", true)]
    [InlineData(null, false, "cn-north-1", null, false)]
    [InlineData(null, false, "us-gov-west-1", null, false)]
    [InlineData("https://minio.example.com:9000", false, null, "https://minio.example.com:9000/", false)]
    [InlineData("http://127.0.0.1:9000", true, null, "http://127.0.0.1:9000/", true)]
    [InlineData("http://127.0.0.1:9000", false, null, null, false)]
    [InlineData("https://host.example/?x=1", true, null, null, false)]
    public void Signed_endpoint_follows_the_sdks_addressing(string? endpoint, bool pathStyle, string? region, string? expected, bool expectedPathStyle)
    {
        var site = new Site { Name = "s", LocalPath = "/tmp", Bucket = "b", Endpoint = endpoint, ForcePathStyle = pathStyle, Region = region };
        var config = new Amazon.S3.AmazonS3Config();
        if (endpoint is null) config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        else config.AuthenticationRegion = "us-east-1";

        var target = SignedEndpoint.For(site, config, _ => null);

        Assert.Equal(expected, target?.Uri.ToString());
        if (target is not null) Assert.Equal(expectedPathStyle, target.PathStyle);
    }

    /// <summary>Credentials that hand out a new generation each time the SDK asks after <see cref="RefreshingAWSCredentials.ClearCredentials"/>.</summary>
    private sealed class RotatingCredentials(string accessKey, string secretKey) : RefreshingAWSCredentials
    {
        private int _generations;
        public int Generations => Volatile.Read(ref _generations);

        protected override CredentialsRefreshState GenerateNewCredentials()
        {
            Interlocked.Increment(ref _generations);
            return new CredentialsRefreshState(new ImmutableCredentials(accessKey, secretKey, null), DateTime.UtcNow.AddHours(1));
        }
    }
}
