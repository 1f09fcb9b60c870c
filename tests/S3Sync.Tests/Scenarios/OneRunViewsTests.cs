using System.Text.Json;
using Amazon.S3.Model;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// The three views of one run agree: the text dry run, the JSON dry run and the real run show the same actions, the
/// same held deletions and the same exit code, because all three are one run (one plan, one guard) that either acts or
/// records. Each row is a tree and a change to it; every view is taken of the same state (a dry run changes nothing).
/// </summary>
[Collection("s3")]
public sealed class OneRunViewsTests(S3ServerFixture server)
{
    public static TheoryData<string> Cases => ["deletions-over-max-delete", "mixed-changes", "headers-rule-changed"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Text_dry_run_json_dry_run_and_the_real_run_show_the_same_actions_and_exit_code(string name)
    {
        using var s = await Scenario.CreateAsync(server);
        var expectedCode = await ArrangeAsync(s, name);

        var text = await s.SyncAsync("--dry-run");
        var json = await s.SyncAsync("--dry-run", "--json");
        var keysBefore = await s.KeysAsync();
        var real = await s.SyncAsync("--json");

        var fromText = TextActions(text.Output);
        var fromJson = JsonActions(json.Output, dryRun: true);
        var fromReal = JsonActions(real.Output, dryRun: false);
        Assert.NotEmpty(fromReal);
        Assert.Equal(fromReal, fromJson);
        Assert.Equal(fromReal, fromText);
        Assert.True(text.ExitCode == expectedCode, text.ToString());
        Assert.True(json.ExitCode == expectedCode, json.ToString());
        Assert.True(real.ExitCode == expectedCode, real.ToString());
        Assert.Contains($"\"exit_code\":{expectedCode}", json.Output, StringComparison.Ordinal);
        // The dry runs changed nothing: the real run found the same bucket they planned against.
        Assert.NotEmpty(keysBefore);
    }

    /// <summary>Builds the case; returns the exit code every view must end with.</summary>
    private async Task<int> ArrangeAsync(Scenario s, string name)
    {
        switch (name)
        {
            case "deletions-over-max-delete":
                // 100 files synced, 67 deleted locally, retire_deleted and the default max_delete: the guard refuses (4).
                for (var i = 0; i < 100; i++) s.Write($"f{i:000}.txt", $"file {i}");
                s.SiteConfig("retire_deleted: true");
                await SyncOkAsync(s);
                for (var i = 0; i < 67; i++) File.Delete(Path.Combine(s.Local, $"f{i:000}.txt"));
                return 4;
            case "mixed-changes":
                for (var i = 0; i < 10; i++) s.Write($"d/f{i}.txt", $"file {i}");
                s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
                await SyncOkAsync(s);
                s.Write("d/f1.txt", "changed content");
                s.Write("new/a.txt", "new");
                File.Delete(Path.Combine(s.Local, "d", "f2.txt"));
                return 0;
            case "headers-rule-changed":
                // 13 files synced, then a headers rule that matches them all: 13 copies in every view.
                for (var i = 0; i < 13; i++) s.Write($"p{i:00}.html", $"<p>{i}</p>");
                s.SiteConfig();
                await SyncOkAsync(s);
                s.SiteConfig("headers:\n- match: '\\.html$'\n  cache_control: max-age=60");
                return 0;
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    private static async Task SyncOkAsync(Scenario s)
    {
        var run = await s.SyncAsync();
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    /// <summary>restore --delete, the other way round: its local deletions pass the same deletion stage, so its text dry
    /// run, JSON dry run and real run hold the same files (or make the same deletions) and end with the same code.</summary>
    [Theory]
    [InlineData(5, "3", 4)]
    [InlineData(2, "3", 0)]
    public async Task Restore_text_dry_run_json_dry_run_and_the_real_run_show_the_same_deletions_and_exit_code(int extra, string maxDelete, int expectedCode)
    {
        // Given 10 objects, and a target folder holding them and files the bucket does not have
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 10; i++) s.Write($"f{i}.txt", $"file {i}");
        s.SiteConfig();
        await SyncOkAsync(s);
        var target = Path.Combine(Path.GetDirectoryName(s.Local)!, "restored");
        var first = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);
        Assert.True(first.ExitCode == 0, first.ToString());
        for (var i = 0; i < extra; i++) File.WriteAllText(Path.Combine(target, $"x{i}.txt"), "only here");

        // When the three views of restore --delete run
        string[] args = ["restore", "-c", s.ConfigPath, "--to", target, "--delete", "--max-delete", maxDelete];
        var text = await s.RunAsync([.. args, "--dry-run"]);
        var json = await s.RunAsync([.. args, "--dry-run", "--json"]);
        var filesBefore = Directory.GetFiles(target).Length;
        var real = await s.RunAsync([.. args, "--json"]);

        // Then they agree on every deletion, held or made, and on the exit code
        var fromReal = JsonActions(real.Output, dryRun: false);
        Assert.Equal(Enumerable.Range(0, extra).Select(i => $"delete x{i}.txt{(expectedCode == 4 ? " held" : "")}"), fromReal);
        Assert.Equal(fromReal, JsonActions(json.Output, dryRun: true));
        Assert.Equal(fromReal, TextActions(text.Output));
        Assert.True(text.ExitCode == expectedCode, text.ToString());
        Assert.True(json.ExitCode == expectedCode, json.ToString());
        Assert.True(real.ExitCode == expectedCode, real.ToString());
        Assert.Contains($"\"exit_code\":{expectedCode}", json.Output, StringComparison.Ordinal);
        Assert.Equal(10 + extra, filesBefore);
        Assert.Equal(expectedCode == 4 ? 10 + extra : 10, Directory.GetFiles(target).Length);
    }

    /// <summary>"(dryrun) verb: key" and "(held) verb: key: why" lines as (verb, key, held).</summary>
    private static List<string> TextActions(string output) =>
    [
        .. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
            line.StartsWith("(dryrun) ", StringComparison.Ordinal) && !line.StartsWith("(dryrun) site ", StringComparison.Ordinal)
                ? Action(line["(dryrun) ".Length..], held: false)
                : line.StartsWith("(held) ", StringComparison.Ordinal) ? Action(line["(held) ".Length..], held: true) : null)
            .OfType<string>().Order(StringComparer.Ordinal),
    ];

    private static string Action(string rest, bool held)
    {
        var colon = rest.IndexOf(": ", StringComparison.Ordinal);
        var verb = rest[..colon];
        var key = rest[(colon + 2)..];
        if (held) key = key[..key.IndexOf(": ", StringComparison.Ordinal)];
        else if (key.EndsWith(')') && key.LastIndexOf(" (", StringComparison.Ordinal) is var at and > 0) key = key[..at];
        return $"{verb} {key}{(held ? " held" : "")}";
    }

    /// <summary>The action lines of a JSON report as (verb, key, held): planned (dry run) or done (real run).</summary>
    private static List<string> JsonActions(string output, bool dryRun)
    {
        var result = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.GetProperty("type").GetString() != "action") continue;
            var status = root.GetProperty("status").GetString();
            Assert.True(status == "held" || status == (dryRun ? "planned" : "done"), line);
            result.Add($"{root.GetProperty("action").GetString()} {root.GetProperty("key").GetString()}{(status == "held" ? " held" : "")}");
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }

    [Fact]
    public async Task Verify_reports_a_headers_rule_change_and_the_text_dry_run_plans_its_copies()
    {
        // Given 13 objects synced without rules, then a rule for all of them
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 13; i++) s.Write($"p{i:00}.html", $"<p>{i}</p>");
        s.SiteConfig();
        await SyncOkAsync(s);
        s.SiteConfig("headers:\n- match: '\\.html$'\n  cache_control: max-age=60");

        // When verify and the text dry run look
        var verify = await s.RunAsync("verify", "-c", s.ConfigPath);
        var dry = await s.SyncAsync("--dry-run");

        // Then both see 13 settings differences; after the sync, verify says 0
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Equal(13, verify.Output.Split('\n').Count(l => l.StartsWith("* ", StringComparison.Ordinal) && l.Contains("settings changed", StringComparison.Ordinal)));
        Assert.Equal(13, dry.Output.Split('\n').Count(l => l.StartsWith("(dryrun) copy: ", StringComparison.Ordinal)));
        await SyncOkAsync(s);
        var after = await s.RunAsync("verify", "-c", s.ConfigPath);
        Assert.True(after.ExitCode == 0, after.ToString());
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "p03.html");
        Assert.Equal("max-age=60", head.Headers.CacheControl);
    }

    [Fact]
    public async Task Headers_changed_by_another_tool_are_found_by_verify_deep_and_repaired_by_sync_deep()
    {
        // Given objects synced with a rule, and the settings recorded as applied
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 3; i++) s.Write($"p{i}.html", $"<p>{i}</p>");
        s.SiteConfig("headers:\n- match: '\\.html$'\n  cache_control: max-age=60");
        await SyncOkAsync(s);

        // When another tool rewrites one object's metadata (aws s3 cp --metadata-directive REPLACE)
        await server.Client.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = s.Bucket, SourceKey = "p1.html", DestinationBucket = s.Bucket, DestinationKey = "p1.html",
            MetadataDirective = Amazon.S3.S3MetadataDirective.REPLACE, ContentType = "text/html",
        });

        // Then the plain verify and sync trust the record, verify --deep finds it and sync --deep repairs it
        var plain = await s.RunAsync("verify", "-c", s.ConfigPath);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        var deep = await s.RunAsync("verify", "-c", s.ConfigPath, "--deep");
        Assert.True(deep.ExitCode == 1, deep.ToString());
        Assert.Contains("* p1.html", deep.Output, StringComparison.Ordinal);
        var repair = await s.SyncAsync("--deep");
        Assert.True(repair.ExitCode == 0, repair.ToString());
        Assert.Equal("max-age=60", (await server.Client.GetObjectMetadataAsync(s.Bucket, "p1.html")).Headers.CacheControl);
        var again = await s.RunAsync("verify", "-c", s.ConfigPath, "--deep");
        Assert.True(again.ExitCode == 0, again.ToString());
    }
}
