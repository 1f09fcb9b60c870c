using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// Every number has bounds, checked through the AOT binary (S3SYNC_BINARY): --workers and upload_workers 1..1024,
/// no negative max_delete (it used to mean unlimited), and a number past int is a one-line error naming the flag.
/// </summary>
public sealed class BoundsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-bounds-" + Guid.NewGuid().ToString("N")[..8]);

    public BoundsTests() => Directory.CreateDirectory(Path.Combine(_root, "www"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Config(string extra = "")
    {
        var path = Path.Combine(_root, "config.yml");
        File.WriteAllText(path, $"""
            endpoint: http://127.0.0.1:1
            {extra}
            sites:
            - local_path: {_root}/www
              bucket: my-bucket
            """);
        return path;
    }

    private static void OneLineError(RunResult run, string expected)
    {
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(expected, run.Error);
        Assert.DoesNotContain("System.", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Theory]
    [InlineData("0", "--workers: must be a whole number from 1 to 1024, got '0'")]
    [InlineData("-3", "--workers: must be a whole number from 1 to 1024, got '-3'")]
    [InlineData("1025", "--workers: must be a whole number from 1 to 1024, got '1025'")]
    [InlineData("2000000", "--workers: must be a whole number from 1 to 1024, got '2000000'")]
    [InlineData("2147483648", "--workers: must be a whole number from 1 to 1024, got '2147483648'")]
    [InlineData("99999999999999999999", "--workers: must be a whole number from 1 to 1024, got '99999999999999999999'")]
    public async Task Workers_out_of_range_is_refused_naming_the_flag(string value, string expected) =>
        OneLineError(await Binary.RunAsync(["sync", "-c", Config(), "--workers", value]), expected);

    [Theory]
    [InlineData("0")]
    [InlineData("1025")]
    [InlineData("2147483648")]
    public async Task Restore_workers_out_of_range_is_refused_naming_the_flag(string value) =>
        OneLineError(await Binary.RunAsync(["restore", "-c", Config(), "--in-place", "--workers", value]), $"--workers: must be a whole number from 1 to 1024, got '{value}'");

    [Theory]
    [InlineData("-1")]
    [InlineData("-50")]
    [InlineData("-10%")]
    public async Task A_negative_max_delete_flag_is_refused(string value) =>
        OneLineError(await Binary.RunAsync(["sync", "-c", Config(), "--max-delete", value]), $"--max-delete: '{value}' is negative; use 'unlimited' for no limit");

    [Fact]
    public async Task A_negative_max_delete_in_the_config_is_refused()
    {
        var run = await Binary.RunAsync(["config", "check", "-c", Config("max_delete: -1")]);
        OneLineError(run, "max_delete: '-1' is negative; use 'unlimited' for no limit");
    }

    [Fact]
    public async Task Upload_workers_past_1024_in_the_config_is_refused() =>
        OneLineError(await Binary.RunAsync(["config", "check", "-c", Config("upload_workers: 2000000")]), "upload_workers: must be at most 1024, got 2000000");

    [Fact]
    public async Task An_int_flag_past_int_range_is_one_line_naming_the_flag()
    {
        var run = await Binary.RunAsync(["watch", "-c", Config(), "--grace", "99999999999"]);
        OneLineError(run, "--grace: '99999999999' is not a whole number");
    }
}
