using System.Text.Json;
using Amazon.S3.Model;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// <c>s3sync ls</c> through the binary against the real server: recursive by default, <c>--depth</c>, <c>-l</c> with
/// the mode and mtime s3sync stored, <c>--json</c>, <c>--versions</c>, <c>--at</c>, a site of a configuration, and
/// hostile keys printed safely.
/// </summary>
[Collection("s3")]
public sealed class LsTests(S3ServerFixture server)
{
    private Dictionary<string, string> Env() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
        ["AWS_ENDPOINT_URL_S3"] = server.Endpoint,
    };

    private async Task<Scenario> TreeAsync()
    {
        var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "aaaa");
        s.Write("d/b.txt", "bb");
        s.Write("d/e/c.txt", "c");
        s.SiteConfig("bucket_path: host1\nname: www");
        var sync = await s.SyncAsync();
        Assert.True(sync.ExitCode == 0, sync.ToString());
        return s;
    }

    [Fact]
    public async Task Ls_lists_every_key_under_the_prefix_recursively()
    {
        using var s = await TreeAsync();

        var run = await Binary.RunAsync(["ls", $"s3://{s.Bucket}/host1"], Env());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("a.txt\nd/b.txt\nd/e/c.txt\n", run.Output);
        Assert.Equal("", run.Error);
    }

    [Theory]
    [InlineData("1", "a.txt\nd/\n")]
    [InlineData("2", "a.txt\nd/b.txt\nd/e/\n")]
    public async Task Depth_shows_deeper_keys_as_their_folder_once(string depth, string expected)
    {
        using var s = await TreeAsync();

        var run = await Binary.RunAsync(["ls", "-c", s.ConfigPath, "--site", "www", "--depth", depth]);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(expected, run.Output);
    }

    [Fact]
    public async Task Long_shows_the_stored_mode_mtime_size_and_storage_class()
    {
        using var s = await Scenario.CreateAsync(server);
        var file = s.Write("secret.txt", "12345");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.SetLastWriteTimeUtc(file, new DateTime(2003, 4, 5, 6, 7, 8, DateTimeKind.Utc));
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        await server.PutAsync(s.Bucket, "foreign.bin", [1, 2, 3]);

        var run = await Binary.RunAsync(["ls", $"s3://{s.Bucket}", "-l"], Env());

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^-\s+3  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+STANDARD\s+foreign\.bin$", lines[0]);
        Assert.Matches(@"^-rw-r-----\s+5  2003-04-05T06:07:08(\.0+)?Z\s+STANDARD\s+secret\.txt$", lines[1]);
    }

    [Fact]
    public async Task Hostile_keys_print_on_one_line_escaped_and_exact_in_json()
    {
        using var s = await Scenario.CreateAsync(server);
        const string key = "evil\u001b[31mred\nsecond line\u202etxt";
        await server.PutAsync(s.Bucket, key, [1]);

        var text = await Binary.RunAsync(["ls", $"s3://{s.Bucket}"], Env());
        var json = await Binary.RunAsync(["ls", $"s3://{s.Bucket}", "--json"], Env());

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal("evil\\x1b[31mred\\nsecond line\\u202etxt\n", text.Output);
        var line = Assert.Single(json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(key, doc.RootElement.GetProperty("key").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("size").GetInt64());
        Assert.Equal("STANDARD", doc.RootElement.GetProperty("storage_class").GetString());
    }

    [Fact]
    public async Task Versions_and_at_list_keys_with_control_characters_exactly()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.Client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = s.Bucket, VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled } });
        const string key = "cr\rsoh\u0001esc\u001b[2J";
        await server.PutAsync(s.Bucket, key, [1]);

        var versions = await Binary.RunAsync(["ls", $"s3://{s.Bucket}", "--versions", "--json"], Env());
        var at = await Binary.RunAsync(["ls", $"s3://{s.Bucket}", "--at", DateTime.UtcNow.AddMinutes(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), "--json"], Env());
        var text = await Binary.RunAsync(["ls", $"s3://{s.Bucket}", "--versions"], Env());

        Assert.True(versions.ExitCode == 0, versions.ToString());
        Assert.Equal(key, JsonDocument.Parse(versions.Output).RootElement.GetProperty("key").GetString());
        Assert.True(at.ExitCode == 0, at.ToString());
        Assert.Equal(key, JsonDocument.Parse(at.Output).RootElement.GetProperty("key").GetString());
        Assert.StartsWith("cr\\rsoh\\x01esc\\x1b[2J  ", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Versions_and_at_show_the_history_of_a_versioned_bucket()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.Client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = s.Bucket, VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled } });
        s.Write("kept.txt", "v1");
        s.Write("gone.txt", "v1");
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var at = (await server.ListAsync(s.Bucket)).Max(o => o.LastModified!.Value).ToUniversalTime();
        await Task.Delay(1100); // the server's Last-Modified has whole seconds: the next versions must be later than `at`
        File.Delete(Path.Combine(s.Local, "gone.txt"));
        File.WriteAllText(Path.Combine(s.Local, "kept.txt"), "v2, longer");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        var now = await Binary.RunAsync(["ls", "-c", s.ConfigPath]);
        var then = await Binary.RunAsync(["ls", "-c", s.ConfigPath, "--at", at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"), "--json"]);
        var versions = await Binary.RunAsync(["ls", "-c", s.ConfigPath, "--versions", "--json"]);

        Assert.True(now.ExitCode == 0, now.ToString());
        Assert.Equal("kept.txt\n", now.Output);
        Assert.True(then.ExitCode == 0, then.ToString());
        var thenLines = then.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["gone.txt", "kept.txt"], thenLines.Select(l => l.GetProperty("key").GetString()));
        Assert.Equal(2, thenLines.Single(l => l.GetProperty("key").GetString() == "kept.txt").GetProperty("size").GetInt64());
        Assert.True(versions.ExitCode == 0, versions.ToString());
        var all = versions.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, all.Count); // gone.txt: a delete marker and v1; kept.txt: v2 and v1
        Assert.True(all[0].GetProperty("delete_marker").GetBoolean());
        Assert.Equal("gone.txt", all[0].GetProperty("key").GetString());
        Assert.Equal([true, false, true, false], all.Select(l => l.GetProperty("latest").GetBoolean()));
    }

    [Fact]
    public async Task A_missing_bucket_is_one_line_and_exit_3()
    {
        var run = await Binary.RunAsync(["ls", "s3://no-such-bucket-s3sync-ls/x"], Env());

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("", run.Output);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no-such-bucket-s3sync-ls", run.Error);
    }

    [Theory]
    [InlineData(new[] { "ls", "s3://bucket", "--depth", "0" }, "s3sync: --depth: must be a whole number from 1, got '0'\n")]
    [InlineData(new[] { "ls", "s3://bucket", "--at", "yesterday" }, "s3sync: --at: 'yesterday' is not a time: give RFC 3339 (2026-11-30T12:00:00Z) or a local date and time (2026-11-30 12:00)\n")]
    [InlineData(new[] { "ls", "s3://bucket", "--at", "2026-01-01", "--versions" }, "s3sync: --at and --versions cannot be combined: --versions lists every version, --at the ones current at that time\n")]
    [InlineData(new[] { "ls" }, "s3sync: give s3://BUCKET[/PREFIX], or -c FILE (see --help)\n")]
    [InlineData(new[] { "ls", "/tmp" }, "s3sync: '/tmp' is not an s3://BUCKET[/PREFIX] URL\n")]
    public async Task Bad_ls_arguments_are_one_line_and_exit_2(string[] args, string expected)
    {
        var run = await Binary.RunAsync(args, Env());

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected, run.Error);
    }
}
