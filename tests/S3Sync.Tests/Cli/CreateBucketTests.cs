using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// <c>sync --create-bucket</c> and the site key <c>create_bucket</c> (instead of an <c>mb</c> command): a missing
/// bucket is made before the first listing; without them a missing bucket stays an error, and a dry run creates
/// nothing. Through the binary, against the real server.
/// </summary>
[Collection("s3")]
public sealed class CreateBucketTests(S3ServerFixture server) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-mb-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, string> Env() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
        ["AWS_ENDPOINT_URL_S3"] = server.Endpoint,
    };

    private static string NewName() => "s3sync-mb-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<bool> ExistsAsync(string bucket) =>
        (await server.Client.ListBucketsAsync()).Buckets?.Any(b => b.BucketName == bucket) == true;

    private string Folder()
    {
        var dir = Path.Combine(_root, "www");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "a.txt"), "a");
        return dir;
    }

    [Fact]
    public async Task Create_bucket_makes_a_missing_bucket_and_syncs_into_it()
    {
        var bucket = NewName();
        var dir = Folder();

        var without = await Binary.RunAsync(["sync", dir, $"s3://{bucket}/p"], Env());
        Assert.Equal(3, without.ExitCode);
        Assert.False(await ExistsAsync(bucket));
        var dry = await Binary.RunAsync(["sync", dir, $"s3://{bucket}/p", "--create-bucket", "--dry-run"], Env());
        Assert.False(await ExistsAsync(bucket));

        var run = await Binary.RunAsync(["sync", dir, $"s3://{bucket}/p", "--create-bucket"], Env());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.NotEqual(0, dry.ExitCode);
        Assert.Equal(["p/a.txt"], (await server.ListAsync(bucket)).Select(o => o.Key));
        Assert.Contains($"created bucket {bucket}", run.Error);
        var again = await Binary.RunAsync(["sync", dir, $"s3://{bucket}/p", "--create-bucket"], Env());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("created bucket", again.Error);
    }

    [Fact]
    public async Task The_site_key_create_bucket_does_the_same()
    {
        var bucket = NewName();
        var dir = Folder();
        var config = Path.Combine(_root, "cfg.yml");
        File.WriteAllText(config, $"sites:\n- local_path: {dir}\n  bucket: {bucket}\n  create_bucket: true\n");

        var run = await Binary.RunAsync(["sync", "-c", config], Env());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a.txt"], (await server.ListAsync(bucket)).Select(o => o.Key));
    }
}
