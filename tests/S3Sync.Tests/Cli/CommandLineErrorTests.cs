using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// What a new user sees when something is wrong, through the published binary: an unknown option is called unknown in
/// both forms of the command line; a missing bucket and missing or wrong credentials are one line naming the bucket
/// and what to do, with no SDK text, and credentials have their own exit code (5).
/// </summary>
[Collection("s3")]
public sealed class CommandLineErrorTests(S3ServerFixture server) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-errors-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Config()
    {
        var path = Path.Combine(_root, "cfg.yml");
        Directory.CreateDirectory(Path.Combine(_root, "www"));
        File.WriteAllText(path, $"sites:\n- local_path: {_root}/www\n  bucket: my-bucket\n");
        return path;
    }

    [Theory]
    [InlineData("sync", "--dryrun", " (did you mean '--dry-run'?)")]
    [InlineData("sync", "-x", "")]
    [InlineData("sync", "--sizeonly", " (did you mean '--size-only'?)")]
    [InlineData("verify", "--jsno", " (did you mean '--json'?)")]
    public async Task An_unknown_option_with_a_config_file_is_reported_as_unknown(string command, string option, string hint)
    {
        var run = await Binary.RunAsync([command, "-c", Config(), option]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"s3sync: unknown option '{option}' for {command}{hint}\nRun 's3sync {command} --help' for usage.\n", run.Error);
    }

    [Fact]
    public async Task An_unknown_option_with_a_value_is_reported_the_same_in_both_forms()
    {
        Directory.CreateDirectory(Path.Combine(_root, "www"));
        var withFile = await Binary.RunAsync(["sync", "-c", Config(), "--requester-pays", "x"]);
        var adHoc = await Binary.RunAsync(["sync", Path.Combine(_root, "www"), "s3://my-bucket", "--requester-pays", "x"]);

        Assert.Equal(2, withFile.ExitCode);
        Assert.Equal(2, adHoc.ExitCode);
        Assert.StartsWith("s3sync: unknown option '--requester-pays' for sync\n", withFile.Error);
        Assert.StartsWith("s3sync: unknown option '--requester-pays' for sync\n", adHoc.Error);
    }

    private Dictionary<string, string> Env(string? secret = null) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = secret ?? server.SecretKey,
        ["AWS_ENDPOINT_URL_S3"] = server.Endpoint,
    };

    private static void AssertNoSdkText(RunResult run)
    {
        Assert.DoesNotContain("Exception", run.Error + run.Output);
        Assert.DoesNotContain("   at ", run.Error + run.Output);
        Assert.DoesNotContain("webIdentityTokenFile", run.Error + run.Output);
    }

    [Fact]
    public async Task A_site_whose_name_cannot_be_a_folder_under_to_is_refused_on_stderr_before_any_site_is_restored()
    {
        // Given two sites, the second named "..", restored with --json (stdout is JSON only)
        var bucket = await server.NewBucketAsync();
        var config = Path.Combine(_root, "two.yml");
        File.WriteAllText(config, $"sites:\n- name: first\n  local_path: {_root}/a\n  bucket: {bucket}\n  bucket_path: a\n- name: '..'\n  local_path: {_root}/b\n  bucket: {bucket}\n  bucket_path: b\n");
        var target = Path.Combine(_root, "to");

        var run = await Binary.RunAsync(["restore", "-c", config, "--to", target, "--json"], Env());

        // Then: exit 2, the one line on stderr, nothing on stdout, and not even the first site was restored
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Contains("s3sync: site '..': its name cannot be a folder under --to; give the site a name", run.Error);
        Assert.False(Directory.Exists(target));
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("verify")]
    public async Task A_missing_bucket_is_one_line_naming_it(string command)
    {
        Directory.CreateDirectory(Path.Combine(_root, "www"));
        var bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8];

        var run = await Binary.RunAsync([command, Path.Combine(_root, "www"), $"s3://{bucket}/p"], Env());

        Assert.Equal(3, run.ExitCode);
        var expected = $"bucket '{bucket}' does not exist at {server.Endpoint}: create it, or correct bucket (or the s3:// URL)";
        Assert.Contains(expected, run.Output + run.Error);
        Assert.DoesNotContain("NoSuchBucket (HTTP 404): NoSuchBucket", run.Output + run.Error);
        AssertNoSdkText(run);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("verify")]
    [InlineData("restore")]
    public async Task No_credentials_anywhere_is_one_line_saying_where_it_looked_and_exit_5(string command)
    {
        Directory.CreateDirectory(Path.Combine(_root, "www"));
        var bucket = await server.NewBucketAsync();
        // restore: the download direction of the ad-hoc form, bucket first
        string[] args = command == "restore" ? ["sync", $"s3://{bucket}", Path.Combine(_root, "www")] : [command, Path.Combine(_root, "www"), $"s3://{bucket}"];

        // Binary.RunAsync clears the environment and gives a fresh HOME: no keys, no profile, no instance metadata.
        var run = await Binary.RunAsync([.. args, "--endpoint", server.Endpoint]);

        Assert.True(run.ExitCode == 5, run.ToString());
        Assert.Contains($"no credentials found for bucket '{bucket}' (looked in: access_key/secret_access_key in the configuration, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", run.Output + run.Error);
        AssertNoSdkText(run);
    }

    [Fact]
    public async Task A_wrong_secret_is_one_line_naming_the_bucket_and_exit_5()
    {
        Directory.CreateDirectory(Path.Combine(_root, "www"));
        var bucket = await server.NewBucketAsync();

        var run = await Binary.RunAsync(["sync", Path.Combine(_root, "www"), $"s3://{bucket}"], Env(secret: "wrong-secret"));

        Assert.True(run.ExitCode == 5, run.ToString());
        Assert.Contains($"{server.Endpoint} refused the credentials for bucket '{bucket}' (SignatureDoesNotMatch): check access_key and secret_access_key", run.Error);
        AssertNoSdkText(run);
    }
}
