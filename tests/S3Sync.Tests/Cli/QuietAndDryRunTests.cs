using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary><c>sync --dry-run</c> exits 0 when it could plan; <c>verify -q</c> prints only errors; <c>config check</c>
/// names the state folder actually used and where it came from. Through the binary, against the real server.</summary>
[Collection("s3")]
public sealed class QuietAndDryRunTests(S3ServerFixture server)
{
    private Dictionary<string, string> Env(params (string Key, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
            ["AWS_ENDPOINT_URL_S3"] = server.Endpoint,
        };
        foreach (var (k, v) in more) env[k] = v;
        return env;
    }

    [Fact]
    public async Task Dry_run_with_changes_to_make_prints_the_planned_actions_and_exits_0()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("new.txt", "new");

        var run = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}", "--dry-run"], Env());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("(dryrun) upload: new.txt\n", run.Output);
        Assert.Empty(await server.ListAsync(s.Bucket));
    }

    [Fact]
    public async Task Verify_quiet_prints_nothing_for_differences_and_exits_1()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("new.txt", "new");

        var run = await Binary.RunAsync(["verify", s.Local, $"s3://{s.Bucket}", "-q"], Env());

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal("", run.Output);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Verify_quiet_prints_only_the_error_lines()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("new.txt", "new");
        var missing = Path.Combine(s.Root, "unmounted");
        s.Config($"- name: gone\n  local_path: {missing}\n  bucket: {s.Bucket}\n  bucket_path: gone\n- name: here\n  local_path: {s.Local}\n  bucket: {s.Bucket}\n  bucket_path: here");

        var run = await Binary.RunAsync(["verify", "-c", s.ConfigPath, "--quiet"], Env());

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal($"! {missing}  local_path does not exist (is the disk mounted?)\n", run.Output);
    }

    [Fact]
    public async Task Config_check_names_the_state_folder_from_S3SYNC_STATE_DIR()
    {
        using var s = await Scenario.CreateAsync(server);
        var state = Path.Combine(s.Root, "from-env");

        var run = await Binary.RunAsync(["config", "check", s.Local, $"s3://{s.Bucket}"], Env(("S3SYNC_STATE_DIR", state)));
        var fallback = await Binary.RunAsync(["config", "check", s.Local, $"s3://{s.Bucket}"], Env(("XDG_STATE_HOME", "/var/state")));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"state_dir: {state}  # from S3SYNC_STATE_DIR\n", run.Output);
        Assert.Contains("state_dir: /var/state/s3sync  # default: $XDG_STATE_HOME/s3sync\n", fallback.Output);
    }

    [Fact]
    public async Task Config_check_names_state_dir_of_the_file_above_the_variable()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("name: www");

        var run = await Binary.RunAsync(["config", "check", "-c", s.ConfigPath], Env(("S3SYNC_STATE_DIR", "/elsewhere")));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"state_dir: {Path.Combine(s.Root, "state")}  # from state_dir\n", run.Output);
    }
}
