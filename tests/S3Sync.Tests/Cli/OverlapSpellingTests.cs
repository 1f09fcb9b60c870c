using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>The overlap rule compares buckets by identity: one server spelled two ways is one server.</summary>
public sealed class OverlapSpellingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-overlap-" + Guid.NewGuid().ToString("N")[..8]);

    public OverlapSpellingTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        Directory.CreateDirectory(Path.Combine(_root, "b"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<RunResult> CheckAsync(string endpointA, string endpointB)
    {
        var path = Path.Combine(_root, "config.yml");
        File.WriteAllText(path, $"""
            sites:
            - local_path: {_root}/a
              bucket: shared
              endpoint: {endpointA}
              retire_deleted: true
            - local_path: {_root}/b
              bucket: shared
              bucket_path: siteb
              endpoint: {endpointB}
            """);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync(["config", "check", "-c", path], output, error);
        return new RunResult(code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000", "http://localhost:9000/")]
    [InlineData("http://[::1]:9000", "http://LocalHost:9000")]
    [InlineData("https://minio.example.com", "https://MINIO.example.com:443/")]
    public async Task A_root_site_with_retire_deleted_overlaps_a_site_on_the_same_bucket_spelled_differently(string a, string b)
    {
        var run = await CheckAsync(a, b);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("overlap and one has retire_deleted", run.Error);
    }

    [Fact]
    public async Task Sites_on_different_servers_do_not_overlap()
    {
        var run = await CheckAsync("http://127.0.0.1:9000", "http://127.0.0.1:9001");

        Assert.True(run.ExitCode == 0, run.ToString());
    }
}
