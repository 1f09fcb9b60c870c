using System.Text;
using System.Text.Json;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// <c>sync --json</c> and <c>restore --json</c>: one JSON object per action, error and site, and a total last, in
/// verify's schema family. The reports of a fixed tree are snapshotted (durations scrubbed; action lines of a site
/// sorted, since workers finish in any order); stdout of the real binary is checked to hold JSON Lines only.
/// </summary>
[Collection("s3")]
public sealed class SyncJsonTests(S3ServerFixture server)
{
    /// <summary>www (retire_deleted) gets two uploads, one of each reason, a copy (storage class), a delete and a
    /// key with a tab and non-ASCII letters; archive keeps an object only in S3.</summary>
    private async Task<Scenario> FixedTreeAsync()
    {
        var s = await Scenario.CreateAsync(server);
        var archive = Path.Combine(s.Root, "archive");
        Directory.CreateDirectory(archive);
        byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

        s.Write("index.html", "<h1>s3sync</h1>\n");                     // in sync
        s.Write("css/site.css", "body { color: #111; }\n");             // upload: content differs
        s.Write("docs/class.txt", "kept in the wrong class\n");         // copy: storage class
        s.Write("img/logo.svg", "<svg/>\n");                            // upload: missing
        s.Write("unicode/ünï\tcødé.txt", "ü\n");                        // upload: missing, escaped key
        File.WriteAllText(Path.Combine(archive, "a.txt"), "a\n");       // in sync

        await server.PutAsync(s.Bucket, "www/index.html", Utf8("<h1>s3sync</h1>\n"));
        await server.PutAsync(s.Bucket, "www/css/site.css", Utf8("body { color: #222; }\n"));
        await server.PutAsync(s.Bucket, "www/docs/class.txt", Utf8("kept in the wrong class\n"), "STANDARD_IA");
        await server.PutAsync(s.Bucket, "www/old/removed.txt", Utf8("removed locally\n"));   // delete
        await server.PutAsync(s.Bucket, "archive/a.txt", Utf8("a\n"));
        await server.PutAsync(s.Bucket, "archive/kept.txt", Utf8("only in the bucket\n"));  // kept

        s.Config($"""
            - name: www
              local_path: {s.Local}
              bucket: {s.Bucket}
              bucket_path: www
              retire_deleted: true
              max_delete: unlimited
            - name: archive
              local_path: {archive}
              bucket: {s.Bucket}
              bucket_path: archive
            """);
        return s;
    }

    /// <summary>Durations scrubbed; within each site the lines before its summary sorted (they come as workers finish).</summary>
    private static string Normalise(string output)
    {
        var lines = VerifyScenarioTests.ScrubTimes(output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var result = new List<string>();
        var block = new List<string>();
        foreach (var line in lines)
        {
            if (line.StartsWith("{\"type\":\"summary\"", StringComparison.Ordinal) || line.StartsWith("{\"type\":\"total\"", StringComparison.Ordinal))
            {
                result.AddRange(block.Order(StringComparer.Ordinal));
                block.Clear();
                result.Add(line);
            }
            else block.Add(line);
        }
        result.AddRange(block);
        return string.Join('\n', result) + "\n";
    }

    private async Task<List<string>> StateAsync(string bucket) =>
        [.. (await server.ListAsync(bucket)).Select(o => $"{o.Key} {o.Size} {o.StorageClass?.Value ?? "STANDARD"}").Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Sync_json_of_a_fixed_tree_matches_the_snapshot_and_the_bucket()
    {
        using var s = await FixedTreeAsync();

        var run = await s.SyncAsync("--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Snapshots.Match(Normalise(run.Output), "sync-jsonl");
        Assert.Equal(
            [
                "archive/a.txt 2 STANDARD", "archive/kept.txt 19 STANDARD", "www/css/site.css 22 STANDARD", "www/docs/class.txt 24 STANDARD",
                "www/img/logo.svg 7 STANDARD", "www/index.html 16 STANDARD", "www/unicode/ünï\tcødé.txt 3 STANDARD",
            ],
            await StateAsync(s.Bucket));
    }

    [Fact]
    public async Task Sync_dry_run_json_marks_each_action_planned_matches_the_snapshot_and_changes_nothing()
    {
        using var s = await FixedTreeAsync();
        var before = await StateAsync(s.Bucket);

        var run = await s.SyncAsync("--json", "--dry-run");

        Assert.True(run.ExitCode == 0, run.ToString());
        Snapshots.Match(Normalise(run.Output), "sync-dry-run-jsonl");
        Assert.Equal(before, await StateAsync(s.Bucket));
    }

    [Fact]
    public async Task Dry_run_json_reports_deletions_the_guard_would_refuse_as_held_and_exits_4_as_the_run()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "keep");
        s.Write("gone1.txt", "1");
        s.Write("gone2.txt", "2");
        s.SiteConfig("retire_deleted: true\nmax_delete: 1");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(Path.Combine(s.Local, "gone1.txt"));
        File.Delete(Path.Combine(s.Local, "gone2.txt"));

        var dry = await s.SyncAsync("--json", "--dry-run");
        var real = await s.SyncAsync("--json");

        Assert.True(dry.ExitCode == 4, dry.ToString());
        Assert.True(real.ExitCode == 4, real.ToString());
        foreach (var run in new[] { dry, real })
        {
            var lines = Parse(run.Output);
            var held = lines.Where(l => Str(l, "type") == "action" && Str(l, "status") == "held").Select(l => Str(l, "key")).Order(StringComparer.Ordinal);
            Assert.Equal(["gone1.txt", "gone2.txt"], held);
            Assert.Contains(lines, l => Str(l, "type") == "error" && Str(l, "error")!.Contains("more than max_delete 1", StringComparison.Ordinal));
            Assert.Equal("deletes_refused", Str(lines[^1], "status"));
            Assert.Equal(2, lines[^1].GetProperty("totals").GetProperty("held").GetInt64());
        }
        Assert.Equal(3, (await s.KeysAsync()).Count);
    }

    [Fact]
    public async Task Stdout_of_the_binary_is_json_lines_only_with_a_failure_and_a_delete()
    {
        using var s = await Scenario.CreateAsync(server);
        var secret = s.Write("secret.txt", "old");
        s.Write("plain.txt", "plain");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited\nbucket_path: p");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.WriteAllText(secret, "new, now unreadable");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        File.Delete(Path.Combine(s.Local, "plain.txt"));
        s.Write("added.txt", "added");
        try
        {
            var run = await s.SyncProcessAsync(true, "--json");

            Assert.True(run.ExitCode == 3, run.ToString());
            var lines = Parse(run.Output); // every line of stdout is one JSON object, or this throws
            Assert.Contains(lines, l => Str(l, "action") == "upload" && Str(l, "key") == "added.txt" && Str(l, "status") == "done" && l.GetProperty("size").GetInt64() == 5);
            Assert.Contains(lines, l => Str(l, "action") == "upload" && Str(l, "key") == "secret.txt" && Str(l, "status") == "failed"
                && Str(l, "error") == "cannot read: permission denied");
            Assert.Contains(lines, l => Str(l, "action") == "delete" && Str(l, "key") == "plain.txt" && Str(l, "status") == "done");
            Assert.Equal("summary", Str(lines[^2], "type"));
            Assert.Equal("total", Str(lines[^1], "type"));
            Assert.Equal(3, lines[^1].GetProperty("exit_code").GetInt32());
            Assert.Equal(1, lines[^1].GetProperty("totals").GetProperty("failed").GetInt64());
            // The log still says it, on stderr; no action line is logged there twice.
            Assert.Contains("secret.txt: cannot read: permission denied", run.Error);
            Assert.DoesNotContain("upload: added.txt", run.Error);
            Assert.Equal(["p/added.txt", "p/secret.txt"], await s.KeysAsync());
        }
        finally
        {
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task Download_direction_and_restore_write_the_same_action_lines()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("d/b.txt", "bb");
        s.SiteConfig("bucket_path: p");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restored");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "extra.txt"), "not in the bucket");
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
            ["AWS_ENDPOINT_URL_S3"] = server.Endpoint, ["AWS_REGION"] = "us-east-1",
        };

        var planned = await CliProcess.RunAsync(["restore", "-c", s.ConfigPath, "--to", target, "--delete", "--max-delete", "unlimited", "--dry-run", "--json"]);
        var done = await CliProcess.RunAsync(["sync", $"s3://{s.Bucket}/p", target, "--delete", "--max-delete", "unlimited", "--json"], env: env);

        Assert.True(planned.ExitCode == 0, planned.ToString());
        Assert.True(done.ExitCode == 0, done.ToString());
        string Actions(RunResult run) => string.Join(", ", Parse(run.Output).Where(l => Str(l, "type") == "action")
            .Select(l => $"{Str(l, "action")} {Str(l, "key")} {Str(l, "status")}").Order(StringComparer.Ordinal));
        Assert.Equal("delete extra.txt planned, download a.txt planned, download d/b.txt planned", Actions(planned));
        Assert.Equal("delete extra.txt done, download a.txt done, download d/b.txt done", Actions(done));
        var total = Parse(done.Output)[^1];
        Assert.Equal(2, total.GetProperty("totals").GetProperty("downloaded").GetInt64());
        Assert.Equal(3, total.GetProperty("totals").GetProperty("downloaded_bytes").GetInt64());
        Assert.True(Parse(planned.Output)[^1].GetProperty("dry_run").GetBoolean());
        Assert.Equal("bb", File.ReadAllText(Path.Combine(target, "d", "b.txt")));
        Assert.False(File.Exists(Path.Combine(target, "extra.txt")));
    }

    private static List<JsonElement> Parse(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
