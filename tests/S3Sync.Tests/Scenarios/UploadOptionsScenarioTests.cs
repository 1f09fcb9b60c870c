using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// Encryption, canned ACLs, header rules, bandwidth and profiles (#15) against the real server: what HEAD, GET and
/// GetObjectAcl say, and what the client sent (a recording proxy in front of the server).
/// </summary>
[Collection("s3")]
public sealed class UploadOptionsScenarioTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    /// <summary>A key of Ceph's testing KMS backend, configured by scripts/s3server.sh.</summary>
    private static string KmsKeyId => Environment.GetEnvironmentVariable("S3SYNC_TEST_KMS_KEY_ID") is { Length: > 0 } id ? id : "s3sync-test-kms-1";

    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["small.txt"] = "small and encrypted"u8.ToArray(),
        ["dir/multipart.bin"] = Bytes(9 * MiB + 17, 21),
    };

    private static void WriteFiles(Scenario s)
    {
        foreach (var (key, body) in Files) s.Write(key, body);
    }

    /// <summary>Writes (PUT bodies and copies) the proxy saw: a no-op sync sends none.</summary>
    private static List<ProxiedRequest> Writes(FaultProxy proxy) =>
        [.. proxy.Requests.Where(r => r.Method is "PUT" or "POST" or "DELETE" && r.Target.Count(c => c == '/') > 1)];

    private async Task<GetObjectMetadataResponse> HeadAsync(string bucket, string key, string? customerKey = null)
    {
        var request = new GetObjectMetadataRequest { BucketName = bucket, Key = key };
        if (customerKey is not null)
        {
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = customerKey;
        }
        return await server.Client.GetObjectMetadataAsync(request);
    }

    private async Task<byte[]> GetAsync(string bucket, string key, string customerKey)
    {
        using var r = await server.Client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket, Key = key,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = customerKey,
        });
        using var ms = new MemoryStream();
        await r.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sse_kms_uploads_single_and_multipart_read_back_and_a_resync_sends_no_put_or_copy(bool signedPath)
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        WriteFiles(s);
        s.SiteConfig($"sse: aws:kms\nsse_kms_key_id: {KmsKeyId}");

        var run = await RunWithPath(s, signedPath);
        Assert.True(run.ExitCode == 0, run.ToString());

        foreach (var (key, body) in Files)
        {
            var head = await HeadAsync(s.Bucket, key);
            Assert.Equal("aws:kms", head.ServerSideEncryptionMethod?.Value);
            Assert.Contains(KmsKeyId, head.ServerSideEncryptionKeyManagementServiceKeyId ?? "");
            Assert.Equal(body, await server.GetAsync(s.Bucket, key));
        }
        proxy.Requests.Clear();
        var again = await RunWithPath(s, signedPath);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(Writes(proxy));
    }

    private static async Task<RunResult> RunWithPath(Scenario s, bool signedPath)
    {
        if (signedPath) return await s.SyncAsync();
        // The SDK path for every request, in a child process so the switch does not leak into other tests.
        return await CliProcess.RunAsync(["sync", "-c", s.ConfigPath], env: new Dictionary<string, string> { ["S3SYNC_SDK_PUT"] = "1" });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Sse_c_uploads_read_back_with_the_key_are_refused_without_it_and_a_resync_sends_nothing(bool signedPath)
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        WriteFiles(s);
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray();
        var keyFile = Path.Combine(s.Root, "sse-c.key");
        File.WriteAllText(keyFile, Convert.ToBase64String(key) + "\n");
        s.SiteConfig($"sse_customer_key_file: {keyFile}");

        var run = await RunWithPath(s, signedPath);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain(Convert.ToBase64String(key), run.Output + run.Error);

        var customerKey = Convert.ToBase64String(key);
        foreach (var (name, body) in Files)
        {
            var head = await HeadAsync(s.Bucket, name, customerKey);
            Assert.Equal("AES256", head.ServerSideEncryptionCustomerMethod?.Value);
            Assert.Equal(body, await GetAsync(s.Bucket, name, customerKey));
            await Assert.ThrowsAsync<AmazonS3Exception>(() => server.GetAsync(s.Bucket, name));
            var wrong = Convert.ToBase64String(new byte[32]);
            await Assert.ThrowsAsync<AmazonS3Exception>(() => GetAsync(s.Bucket, name, wrong));
        }
        // Every part carried the key (S3 wants it on each UploadPart).
        var parts = proxy.Requests.Where(r => r.Method == "PUT" && r.Target.Contains("partNumber=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(parts);
        Assert.All(parts, p => Assert.Equal("AES256", p.Header("x-amz-server-side-encryption-customer-algorithm")));

        proxy.Requests.Clear();
        var again = await RunWithPath(s, signedPath);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(Writes(proxy));
    }

    [Fact]
    public async Task Sse_s3_is_asked_for_on_put_and_on_create_multipart_upload()
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        WriteFiles(s);
        s.SiteConfig("sse: AES256");

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        var put = Assert.Single(proxy.Requests, r => r.Method == "PUT" && r.Target.EndsWith("/small.txt", StringComparison.Ordinal));
        var create = Assert.Single(proxy.Requests, r => r.Method == "POST" && r.Target.Contains("?uploads", StringComparison.Ordinal));
        Assert.Equal("AES256", put.Header("x-amz-server-side-encryption"));
        Assert.Equal("AES256", create.Header("x-amz-server-side-encryption"));
        Assert.Equal(Files["dir/multipart.bin"], await server.GetAsync(s.Bucket, "dir/multipart.bin"));
    }

    [Fact]
    public async Task Canned_acl_is_visible_in_GetObjectAcl()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s);
        s.SiteConfig("acl: public-read");

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var key in Files.Keys)
        {
            var acl = await server.Client.GetObjectAclAsync(new GetObjectAclRequest { BucketName = s.Bucket, Key = key });
            Assert.Contains(acl.Grants ?? [], g => g.Grantee?.URI == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == S3Permission.READ);
        }
    }

    [Fact]
    public async Task Header_rules_land_on_the_objects_and_a_changed_rule_is_applied_by_copy()
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        s.Write("index.html", "<h1>hi</h1>");
        s.Write("assets/app.css", "body{}");
        s.Write("assets/big.bin", Bytes(9 * MiB, 5));
        s.Write("notes.py", "print(1)");
        const string Rules = """
            headers:
            - match: '\.html$'
              cache_control: max-age=60
              content_type: text/html; charset=utf-8
            - match: '^assets/'
              cache_control: public, max-age=31536000, immutable
              content_disposition: inline
              metadata: {team: web}
            """;
        s.SiteConfig(Rules);

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        var html = await HeadAsync(s.Bucket, "index.html");
        Assert.Equal("max-age=60", html.Headers.CacheControl);
        Assert.Equal("text/html; charset=utf-8", html.Headers.ContentType);
        foreach (var key in new[] { "assets/app.css", "assets/big.bin" })
        {
            var asset = await HeadAsync(s.Bucket, key);
            Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl);
            Assert.Equal("inline", asset.Headers.ContentDisposition);
            Assert.Equal("web", asset.Metadata["x-amz-meta-team"]);
        }
        Assert.Equal("text/css", (await HeadAsync(s.Bucket, "assets/app.css")).Headers.ContentType);
        Assert.Equal("text/x-python", (await HeadAsync(s.Bucket, "notes.py")).Headers.ContentType);
        var etags = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => o.ETag);

        // The rules change: the next sync rewrites exactly the objects whose headers change, by copy.
        s.SiteConfig(Rules.Replace("max-age=60", "max-age=120", StringComparison.Ordinal).Replace("{team: web}", "{team: ops}", StringComparison.Ordinal));
        proxy.Requests.Clear();
        // As a child process: the log (stderr) says whether every object was compared.
        var changed = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        Assert.True(changed.ExitCode == 0, changed.ToString());
        var writes = Writes(proxy);
        Assert.All(writes, w => Assert.NotNull(w.Header("x-amz-copy-source")));
        Assert.Equal(3, writes.Count); // index.html, assets/app.css, assets/big.bin; notes.py is untouched
        Assert.Equal("max-age=120", (await HeadAsync(s.Bucket, "index.html")).Headers.CacheControl);
        var big = await HeadAsync(s.Bucket, "assets/big.bin");
        Assert.Equal("ops", big.Metadata["x-amz-meta-team"]);
        Assert.Equal("public, max-age=31536000, immutable", big.Headers.CacheControl);
        Assert.Equal(Bytes(9 * MiB, 5), await server.GetAsync(s.Bucket, "assets/big.bin"));
        Assert.Equal(etags, (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => o.ETag));

        Assert.Contains("settings changed: each object's are compared", changed.Error);

        // Then nothing: no write, and no comparison of every object (the applied settings are remembered).
        proxy.Requests.Clear();
        var idle = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);
        Assert.True(idle.ExitCode == 0, idle.ToString());
        Assert.Empty(Writes(proxy));
        Assert.DoesNotContain("settings changed", idle.Error);
    }

    [Fact]
    public async Task A_site_switched_to_sse_kms_ends_with_every_object_encrypted_and_the_next_sync_does_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        WriteFiles(s);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Assert.True(string.IsNullOrEmpty((await HeadAsync(s.Bucket, "small.txt")).ServerSideEncryptionMethod?.Value));

        s.SiteConfig($"sse: aws:kms\nsse_kms_key_id: {KmsKeyId}");
        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var (key, body) in Files)
        {
            Assert.Equal("aws:kms", (await HeadAsync(s.Bucket, key)).ServerSideEncryptionMethod?.Value);
            Assert.Equal(body, await server.GetAsync(s.Bucket, key));
        }
        proxy.Requests.Clear();
        var again = await s.SyncAsync();
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(Writes(proxy));
    }

    [Fact]
    public async Task Bwlimit_5MiB_per_second_makes_a_40_MiB_upload_take_at_least_6_5_seconds()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("forty.bin", Bytes(40 * MiB, 9));
        s.SiteConfig();

        var clock = Stopwatch.StartNew();
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--bwlimit", "5MiB/s"], timeout: TimeSpan.FromSeconds(120));
        clock.Stop();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(6.5), $"took {clock.Elapsed}");
        Assert.Equal(Bytes(40 * MiB, 9), await server.GetAsync(s.Bucket, "forty.bin"));
    }

    [Fact]
    public async Task Profile_flag_picks_the_profiles_credentials_and_endpoint()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("from-profile.txt", "via profile");
        var config = Path.Combine(s.Root, "aws-config");
        var credentials = Path.Combine(s.Root, "aws-credentials");
        File.WriteAllText(config, $"[profile s3sync-test]\nregion = us-east-1\nendpoint_url = {server.Endpoint}\n");
        File.WriteAllText(credentials, $"[s3sync-test]\naws_access_key_id = {server.AccessKey}\naws_secret_access_key = {server.SecretKey}\n");
        var env = new Dictionary<string, string>
        {
            ["AWS_CONFIG_FILE"] = config,
            ["AWS_SHARED_CREDENTIALS_FILE"] = credentials,
            // Wrong keys in the environment: a named profile wins over them, as with aws --profile.
            ["AWS_ACCESS_KEY_ID"] = "AKIAWRONGWRONGWRONG0",
            ["AWS_SECRET_ACCESS_KEY"] = "wrong-secret",
            ["AWS_PROFILE"] = "",
            ["AWS_ENDPOINT_URL"] = "",
            ["AWS_ENDPOINT_URL_S3"] = "",
            ["HOME"] = s.Root,
        };

        var check = await CliProcess.RunAsync(["config", "check", s.Local, $"s3://{s.Bucket}", "--profile", "s3sync-test"], env: env);
        var run = await CliProcess.RunAsync(["sync", s.Local, $"s3://{s.Bucket}", "--profile", "s3sync-test"], env: env);

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains($"endpoint: {server.Endpoint}  # from profile s3sync-test endpoint_url", check.Output);
        Assert.Contains("profile: s3sync-test  # from --profile", check.Output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("via profile"u8.ToArray(), await server.GetAsync(s.Bucket, "from-profile.txt"));

        var missing = await CliProcess.RunAsync(["sync", s.Local, $"s3://{s.Bucket}", "--profile", "no-such-profile"], env: env);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--profile: no profile 'no-such-profile'", missing.Error);
    }
}
