using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// The ad-hoc form and the AWS conventions, run as the published binary in its own environment (AWS_* variables
/// must not leak into other tests), against the real server.
/// </summary>
[Collection("s3")]
public sealed class AdHocScenarioTests(S3ServerFixture server)
{
    private Dictionary<string, string> EnvironmentCredentials(bool endpoint = true)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
        };
        if (endpoint) env["AWS_ENDPOINT_URL_S3"] = server.Endpoint;
        return env;
    }

    [Fact]
    public async Task Ad_hoc_sync_with_endpoint_and_keys_from_the_environment_uploads_the_folder()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("index.html", "<h1>hi</h1>");
        s.Write("css/site.css", "body{}");
        s.Write("tmp/scratch.tmp", "skip me");

        var run = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/www/", "--storage-class", "STANDARD_IA", "--exclude", "*.tmp"], EnvironmentCredentials());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"site {s.Bucket}/www: uploaded 4 files", run.Output); // two files and two folder markers
        Assert.DoesNotContain('\r', run.Error); // stderr is a pipe here: no progress line
        var listed = await server.ListAsync(s.Bucket);
        Assert.Equal(["www/css/", "www/css/site.css", "www/index.html", "www/tmp/"], listed.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.All(listed, o => Assert.Equal("STANDARD_IA", o.StorageClass?.Value));
        Assert.Equal("<h1>hi</h1>"u8.ToArray(), await server.GetAsync(s.Bucket, "www/index.html"));
    }

    [Fact]
    public async Task Ad_hoc_delete_flag_retires_removed_files_and_verify_agrees()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "keep");
        var gone = s.Write("gone.txt", "gone");
        string[] target = [s.Local, $"s3://{s.Bucket}", "--endpoint", server.Endpoint];
        Assert.Equal(0, (await Binary.RunAsync(["sync", .. target], EnvironmentCredentials(endpoint: false))).ExitCode);
        File.Delete(gone);

        var verify = await Binary.RunAsync(["verify", .. target], EnvironmentCredentials(endpoint: false));
        var keep = await Binary.RunAsync(["sync", .. target, "--quiet"], EnvironmentCredentials(endpoint: false));
        var keptKeys = (await server.ListAsync(s.Bucket)).Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
        var delete = await Binary.RunAsync(["sync", .. target, "--delete"], EnvironmentCredentials(endpoint: false));
        var after = await Binary.RunAsync(["verify", .. target], EnvironmentCredentials(endpoint: false));

        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains("gone.txt", verify.Output);
        Assert.True(keep.ExitCode == 0, keep.ToString());
        Assert.Equal("", keep.Output); // --quiet: no summary
        Assert.Equal(["gone.txt", "keep.txt"], keptKeys);
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("deleted 1", delete.Output);
        Assert.Equal(["keep.txt"], (await server.ListAsync(s.Bucket)).Select(o => o.Key));
        Assert.True(after.ExitCode == 0, after.ToString());
    }

    [Fact]
    public async Task Aws_profile_from_the_shared_files_gives_endpoint_region_and_keys()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        var home = Path.Combine(s.Root, "home");
        Directory.CreateDirectory(Path.Combine(home, ".aws"));
        File.WriteAllText(Path.Combine(home, ".aws", "config"), $"[profile local]\nregion = eu-central-1\nendpoint_url = {server.Endpoint}\n");
        File.WriteAllText(Path.Combine(home, ".aws", "credentials"), $"[local]\naws_access_key_id = {server.AccessKey}\naws_secret_access_key = {server.SecretKey}\n");
        var env = new Dictionary<string, string> { ["HOME"] = home, ["AWS_PROFILE"] = "local" };

        var check = await Binary.RunAsync(["config", "check", s.Local, $"s3://{s.Bucket}/p"], env);
        var run = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/p"], env);

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains($"endpoint: {server.Endpoint}  # from profile local endpoint_url", check.Output);
        Assert.Contains("bucket_region: eu-central-1  # from profile local region", check.Output);
        Assert.DoesNotContain(server.SecretKey, check.Output + check.Error);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["p/a.txt"], (await server.ListAsync(s.Bucket)).Select(o => o.Key));
    }

    [Fact]
    public async Task Json_log_format_writes_only_json_objects_on_stderr()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        await server.PutAsync(s.Bucket, "gone.txt", "x"u8.ToArray());

        var run = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}", "--delete", "--loglevel", "debug", "--log-format", "json"], EnvironmentCredentials());

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("LogLevel", out _), line);
            Assert.True(json.RootElement.TryGetProperty("Message", out _), line);
        });
        Assert.DoesNotContain(server.SecretKey, run.Error);
    }

    [Fact]
    public async Task Flags_override_the_config_file_on_a_real_sync()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.log", "b");
        s.SiteConfig("storage_class: STANDARD");

        var run = await s.SyncAsync("--storage-class", "ONEZONE_IA", "--exclude", "*.log");

        Assert.True(run.ExitCode == 0, run.ToString());
        var listed = await server.ListAsync(s.Bucket);
        Assert.Equal(["a.txt"], listed.Select(o => o.Key));
        Assert.Equal("ONEZONE_IA", listed[0].StorageClass?.Value);
    }

    [Fact]
    public async Task Ad_hoc_globs_match_the_relative_path_star_crosses_slashes_and_the_last_filter_wins()
    {
        // Given the tree of the report: .gz files below doc/ at any depth, a doc/git/ folder and a .git/ folder.
        using var s = await Scenario.CreateAsync(server);
        s.Write("doc/a.gz", "1");
        s.Write("doc/deep/b.gz", "2");
        s.Write("doc/git/manual.txt", "3");
        s.Write(".git/config", "4");
        s.Write("src/c.gz", "5");
        s.Write("src/keep.log", "6");
        s.Write("src/drop.log", "7");
        var patterns = Path.Combine(s.Root, "patterns.txt");
        File.WriteAllText(patterns, "# version control\n.git/*\n\n*.log\n");

        // When: globs on the command line and from a file, then a later include taking one file back.
        var run = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}", "--exclude", "doc/*.gz", "--exclude-from", patterns, "--include", "src/keep.*"], EnvironmentCredentials());

        // Then: doc/*.gz reached doc/deep/, .git/* left doc/git/ alone, and src/keep.log came back.
        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = (await server.ListAsync(s.Bucket)).Select(o => o.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["doc/", "doc/deep/", "doc/git/", "doc/git/manual.txt", "src/", "src/c.gz", "src/keep.log"], keys); // folders: true by default
    }
}
