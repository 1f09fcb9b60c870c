using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using S3Sync.Hashing;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Scenarios;

/// <summary>verify and sync --dry-run against the real server: one scenario per report line kind, with its exit code.</summary>
[Collection("s3")]
public sealed partial class VerifyScenarioTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    /// <summary>A part size no whole-MiB candidate equals (6 MB, decimal): the ETag of such an upload cannot be matched.</summary>
    private const int OddPartSize = 6_000_000;

    private async Task<RunResult> VerifyAsync(Scenario s, params string[] extra)
    {
        var run = await s.RunAsync(["verify", "-c", s.ConfigPath, .. extra]);
        AssertNoCredentials(run);
        return run;
    }

    private void AssertNoCredentials(RunResult run)
    {
        Assert.DoesNotContain(server.SecretKey, run.Output + run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(server.AccessKey, run.Output + run.Error, StringComparison.Ordinal);
    }

    /// <summary>The report's entry lines: everything but the site headers and the summaries.</summary>
    internal static List<string> Entries(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => !l.StartsWith("site ", StringComparison.Ordinal) && !l.StartsWith("total: ", StringComparison.Ordinal))];

    private async Task<List<(string Key, string ETag, long? Size, DateTime? Modified, string? Class)>> StateAsync(string bucket) =>
        [.. (await server.ListAsync(bucket)).Select(o => (o.Key, o.ETag, o.Size, o.LastModified, o.StorageClass?.Value))];

    /// <summary>Uploads through s3sync's own store, as a sync with another part size would: with the fingerprint.</summary>
    private async Task PutWithFingerprintAsync(string bucket, string key, byte[] body, int partSize, string fingerprintOf)
    {
        var store = new S3ObjectStore(server.Client, new StoreLocation(bucket, "")); // not disposed: the client is the fixture's
        var headers = new UploadHeaders("STANDARD", "application/octet-stream", fingerprintOf);
        var id = await store.StartMultipartAsync(key, headers, default);
        var parts = new List<(int, string)>();
        for (int offset = 0, n = 1; offset < body.Length; offset += partSize, n++)
        {
            var chunk = body.AsMemory(offset, Math.Min(partSize, body.Length - offset));
            parts.Add((n, await store.UploadPartAsync(key, id, n, chunk, MD5.HashData(chunk.Span), default)));
        }
        await store.CompleteMultipartAsync(key, id, parts, default);
    }

    private static string Md5Hex(byte[] content) => Convert.ToHexStringLower(MD5.HashData(content));

    [Fact]
    public async Task Verify_after_a_successful_sync_reports_no_differences_and_exits_0()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("index.html", "<h1>hi</h1>");
        s.Write("a/b/deep.txt", "deep");
        s.Write("unicode/日本語 ünïcødé.txt", "u");
        s.Write("empty.bin", []);
        s.Write("big/multipart.bin", Bytes(9 * MiB, 1));
        s.SiteConfig("name: www");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var before = await StateAsync(s.Bucket);

        var run = await VerifyAsync(s);
        var all = await VerifyAsync(s, "--all");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(Entries(run.Output));
        Assert.Contains("site www: 0 differences", run.Output);
        Assert.Contains("total: 0 differences", run.Output);
        Assert.Contains("5 in sync", run.Output);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal(["= a/b/deep.txt", "= big/multipart.bin", "= empty.bin", "= index.html", "= unicode/日本語 ünïcødé.txt"], Entries(all.Output));
        Assert.Equal(before, await StateAsync(s.Bucket));
    }

    [Fact]
    public async Task Verify_after_a_local_edit_reports_exactly_that_file_and_exits_1()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("one.txt", "1111");
        var edited = s.Write("two.txt", "2222");
        s.Write("three.txt", "3333");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var mtime = File.GetLastWriteTimeUtc(edited);
        File.WriteAllText(edited, "2223");
        File.SetLastWriteTimeUtc(edited, mtime);

        var run = await VerifyAsync(s);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["* two.txt  content differs"], Entries(run.Output));
        Assert.Contains("total: 1 differences: 0 missing (0 B), 1 differing (4 B)", run.Output);
    }

    [Fact]
    public async Task Missing_object_is_a_plus_line_with_the_file_size()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("there.txt", "x");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        s.Write("new/file.txt", "12345");
        s.Write("new/zero.txt", "");

        var run = await VerifyAsync(s);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["+ new/file.txt  5", "+ new/zero.txt  0"], Entries(run.Output));
        Assert.Contains("2 differences: 2 missing (5 B)", run.Output);
    }

    [Fact]
    public async Task Size_change_is_a_star_line_size_differs()
    {
        using var s = await Scenario.CreateAsync(server);
        var path = s.Write("f.txt", "short");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.WriteAllText(path, "much longer now");

        var run = await VerifyAsync(s);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["* f.txt  size differs"], Entries(run.Output));
    }

    [Fact]
    public async Task Storage_class_change_is_a_star_line_naming_both_classes()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("f.txt", "content");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        s.SiteConfig("storage_class: STANDARD_IA");

        var run = await VerifyAsync(s);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["* f.txt  storage class STANDARD -> STANDARD_IA"], Entries(run.Output));
        Assert.Equal("STANDARD", Assert.Single(await server.ListAsync(s.Bucket)).StorageClass?.Value ?? "STANDARD");
    }

    [Fact]
    public async Task Archived_object_is_a_star_line_left_alone_and_not_downloaded()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("cold.txt", "frozen");
        await server.PutAsync(s.Bucket, "cold.txt", "frozen"u8.ToArray(), "GLACIER");
        s.SiteConfig();

        var run = await VerifyAsync(s);
        var download = await VerifyAsync(s, "--download");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal(["* cold.txt  storage class GLACIER -> STANDARD (archived: left alone)"], Entries(run.Output));
        Assert.True(download.ExitCode == 1, download.ToString());
        Assert.Equal(Entries(run.Output), Entries(download.Output));
    }

    [Theory]
    [InlineData(true, "- gone.txt")]
    [InlineData(false, ". gone.txt  only in S3 (kept)")]
    public async Task Object_only_in_S3_is_minus_with_retire_deleted_and_dot_without(bool retire, string line)
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("stay.txt", "s");
        var gone = s.Write("gone.txt", "gone!");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(gone);
        s.SiteConfig(retire ? "retire_deleted: true" : "");

        var run = await VerifyAsync(s);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal([line], Entries(run.Output));
        Assert.Contains(retire ? "1 only in S3 (5 B), 0 kept (0 B)" : "0 only in S3 (0 B), 1 kept (5 B)", run.Output);
        Assert.Equal(2, (await server.ListAsync(s.Bucket)).Count);
    }

    [Theory]
    [InlineData(OddPartSize, "? big.bin  cannot compare: multipart ETag with 4 parts matches no known part size", 1)]
    [InlineData(7 * MiB, null, 0)] // 20 MiB in 3 parts: 7 MiB is one of the few whole MiBs giving 3 parts, all tried
    public async Task Object_from_another_client_in_parts_of_unknown_size_cannot_be_compared(int partSize, string? line, int exitCode)
    {
        using var s = await Scenario.CreateAsync(server);
        var content = Bytes(20 * MiB, partSize % 100);
        s.Write("big.bin", content);
        await server.PutMultipartAsync(s.Bucket, "big.bin", content, partSize);
        s.SiteConfig();

        var plain = await VerifyAsync(s);
        var deep = await VerifyAsync(s, "--deep");
        var download = await VerifyAsync(s, "--download");

        Assert.True(plain.ExitCode == exitCode, plain.ToString());
        Assert.Equal(line is null ? [] : [line], Entries(plain.Output));
        // No fingerprint: HEAD cannot help.
        Assert.True(deep.ExitCode == exitCode, deep.ToString());
        Assert.Equal(line is null ? [] : [line], Entries(deep.Output));
        // Reading the bytes back settles it.
        Assert.True(download.ExitCode == 0, download.ToString());
        Assert.Empty(Entries(download.Output));
    }

    [Theory]
    [InlineData("s3sync-md5")]  // s3sync's own, on every upload
    [InlineData("md5chksum")]   // rclone's, on its multipart uploads
    [InlineData("s3cmd-attrs")] // s3cmd's
    public async Task Object_in_parts_of_unknown_size_is_compared_by_the_md5_in_its_metadata_with_deep(string name)
    {
        using var s = await Scenario.CreateAsync(server);
        var content = Bytes(20 * MiB, 11);
        var path = s.Write("big.bin", content);
        var md5 = MD5.HashData(content);
        var value = name switch
        {
            "md5chksum" => Convert.ToBase64String(md5),
            "s3cmd-attrs" => $"atime:1764000000/gid:0/md5:{Convert.ToHexStringLower(md5)}/mode:33188/uid:0",
            _ => Convert.ToHexStringLower(md5),
        };
        await server.PutMultipartAsync(s.Bucket, "big.bin", content, OddPartSize, new Dictionary<string, string> { [name] = value });
        s.SiteConfig();

        var plain = await VerifyAsync(s);
        var deep = await VerifyAsync(s, "--deep", "--all");
        content[12345] ^= 0xff;
        File.WriteAllBytes(path, content);
        var edited = await VerifyAsync(s, "--deep");

        Assert.True(plain.ExitCode == 1, plain.ToString());
        Assert.Equal(["? big.bin  cannot compare: multipart ETag with 4 parts matches no known part size"], Entries(plain.Output));
        Assert.True(deep.ExitCode == 0, deep.ToString());
        Assert.Equal(["= big.bin"], Entries(deep.Output));
        Assert.True(edited.ExitCode == 1, edited.ToString());
        Assert.Equal(["* big.bin  content differs"], Entries(edited.Output));
    }

    [Fact]
    public async Task Listing_that_fails_is_a_bang_line_and_exits_3()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("f.txt", "f");
        s.Config($"- name: www\n  local_path: {s.Local}\n  bucket: no-such-bucket-{Guid.NewGuid():N}\n  bucket_path: p");

        var run = await VerifyAsync(s);
        var json = await VerifyAsync(s, "--json");

        Assert.True(run.ExitCode == 3, run.ToString());
        var line = Assert.Single(Entries(run.Output));
        Assert.Matches(@"^! s3://no-such-bucket-[0-9a-f]+/p/  bucket 'no-such-bucket-[0-9a-f]+' does not exist at http://[0-9.:]+: create it, or correct bucket \(or the s3:// URL\)$", line);
        Assert.Contains("site www: 1 differences", run.Output);
        Assert.EndsWith("(incomplete)", run.Output.TrimEnd());
        Assert.Equal(3, json.ExitCode);
        var error = JsonDocument.Parse(json.Output.Split('\n')[0]).RootElement;
        Assert.Equal("error", error.GetProperty("kind").GetString());
        Assert.Equal("!", error.GetProperty("symbol").GetString());
        Assert.False(JsonDocument.Parse(json.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement.GetProperty("complete").GetBoolean());
    }

    [Fact]
    public async Task Missing_local_path_is_a_bang_line_and_exits_3()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.PutAsync(s.Bucket, "precious.txt", "p"u8.ToArray());
        Directory.Delete(s.Local);
        s.SiteConfig("retire_deleted: true");

        var run = await VerifyAsync(s);

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal([$"! {s.Local}  local_path does not exist (is the disk mounted?)"], Entries(run.Output));
        Assert.Single(await server.ListAsync(s.Bucket));
    }

    [Fact]
    public async Task Wrong_secret_exits_5_and_the_secret_is_never_printed()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("f.txt", "f");
        const string secret = "WRONG-SECRET-must-never-be-printed-0123456789";
        s.SiteConfig($"access_key: {server.AccessKey}\nsecret_access_key: {secret}");

        var text = await VerifyAsync(s, "--loglevel", "trace");
        var json = await VerifyAsync(s, "--json", "--log-format", "json", "--loglevel", "trace");

        Assert.True(text.ExitCode == 5, text.ToString());
        Assert.Equal(5, json.ExitCode);
        foreach (var run in new[] { text, json })
            Assert.DoesNotContain(secret, run.Output + run.Error, StringComparison.Ordinal);
        Assert.Matches(@"^! s3://t-[0-9a-f]+/  http://[0-9.:]+ refused the credentials for bucket 't-[0-9a-f]+' \(SignatureDoesNotMatch\): check access_key and secret_access_key", Assert.Single(Entries(text.Output)));
    }

    [Fact]
    public async Task Usage_and_configuration_errors_exit_2()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("storage_class: STANDARD_AI");
        var badConfig = await VerifyAsync(s);
        s.SiteConfig();
        var badSite = await VerifyAsync(s, "--site", "nope");
        var badOption = await VerifyAsync(s, "--frobnicate");

        Assert.Equal(2, badConfig.ExitCode);
        Assert.Contains("storage_class", badConfig.Error);
        Assert.Equal(2, badSite.ExitCode);
        Assert.Contains("no site named 'nope'", badSite.Error);
        Assert.Equal(2, badOption.ExitCode);
        Assert.Empty(badConfig.Output + badSite.Output + badOption.Output);
    }

    [Fact]
    public async Task Json_report_has_one_object_per_entry_and_a_summary_per_site_and_in_total()
    {
        using var s = await Scenario.CreateAsync(server);
        var same = "same"u8.ToArray();
        var foreign = Bytes(20 * MiB, 21);
        s.Write("a-missing.txt", "12345");
        s.Write("b-size.txt", "now longer");
        s.Write("c-content.txt", "new!");
        s.Write("d-class.txt", same);
        s.Write("e-same.txt", same);
        s.Write("f-foreign.bin", foreign);
        await server.PutAsync(s.Bucket, "b-size.txt", "short"u8.ToArray());
        await server.PutAsync(s.Bucket, "c-content.txt", "old!"u8.ToArray());
        await server.PutAsync(s.Bucket, "d-class.txt", same, "STANDARD_IA");
        await server.PutAsync(s.Bucket, "e-same.txt", same);
        await server.PutMultipartAsync(s.Bucket, "f-foreign.bin", foreign, OddPartSize);
        await server.PutAsync(s.Bucket, "g-remote.txt", "remote"u8.ToArray());
        s.SiteConfig("name: www");
        var etags = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => ETag.Normalize(o.ETag));

        var run = await VerifyAsync(s, "--json", "--all");

        Assert.True(run.ExitCode == 1, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var entries = lines.Where(l => l.GetProperty("type").GetString() == "entry").ToList();
        Assert.Equal(["a-missing.txt", "b-size.txt", "c-content.txt", "d-class.txt", "e-same.txt", "f-foreign.bin", "g-remote.txt"], entries.Select(e => e.GetProperty("key").GetString()));
        var byKey = entries.ToDictionary(e => e.GetProperty("key").GetString()!);

        void Check(string key, string kind, string symbol, string? reason, long? localSize, long? remoteSize, string? storageClass, string? wanted)
        {
            var e = byKey[key];
            Assert.Equal("www", e.GetProperty("site").GetString());
            Assert.Equal(kind, e.GetProperty("kind").GetString());
            Assert.Equal(symbol, e.GetProperty("symbol").GetString());
            Assert.Equal(reason, Str(e, "reason"));
            Assert.Equal(localSize, Long(e, "local_size"));
            Assert.Equal(remoteSize, Long(e, "remote_size"));
            Assert.Equal(etags.GetValueOrDefault(key), Str(e, "etag"));
            Assert.Equal(storageClass, Str(e, "storage_class"));
            Assert.Equal(wanted, Str(e, "wanted_storage_class"));
            Assert.False(e.TryGetProperty("totals", out _));
        }

        Check("a-missing.txt", "missing", "+", null, 5, null, null, "STANDARD");
        Check("b-size.txt", "size_differs", "*", "size differs (local 10, S3 5)", 10, 5, "STANDARD", "STANDARD");
        Check("c-content.txt", "content_differs", "*", "content differs", 4, 4, "STANDARD", "STANDARD");
        Check("d-class.txt", "storage_class_differs", "*", "storage class STANDARD_IA -> STANDARD", 4, 4, "STANDARD_IA", "STANDARD");
        Check("e-same.txt", "in_sync", "=", null, 4, 4, "STANDARD", "STANDARD");
        Check("f-foreign.bin", "cannot_compare", "?", "cannot compare: multipart ETag with 4 parts matches no known part size", 20 * MiB, 20 * MiB, "STANDARD", "STANDARD");
        Check("g-remote.txt", "remote_only_kept", ".", "only in S3 (kept)", null, 6, "STANDARD", null);

        var summary = Assert.Single(lines, l => l.GetProperty("type").GetString() == "summary");
        var total = lines[^1];
        Assert.Equal("total", total.GetProperty("type").GetString());
        Assert.False(total.TryGetProperty("site", out _));
        Assert.Equal("www", summary.GetProperty("site").GetString());
        foreach (var sum in new[] { summary, total })
        {
            Assert.Equal(6, sum.GetProperty("differences").GetInt64());
            Assert.True(sum.GetProperty("complete").GetBoolean());
            Assert.InRange(sum.GetProperty("seconds").GetDouble(), 0, 600);
            var t = sum.GetProperty("totals");
            Assert.Equal(
                new Dictionary<string, long>
                {
                    ["in_sync"] = 1, ["in_sync_bytes"] = 4, ["missing"] = 1, ["missing_bytes"] = 5, ["differs"] = 3, ["differs_bytes"] = 18,
                    ["remote_only"] = 0, ["remote_only_bytes"] = 0, ["kept"] = 1, ["kept_bytes"] = 6,
                    ["cannot_compare"] = 1, ["cannot_compare_bytes"] = 20 * MiB, ["errors"] = 0,
                },
                t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64()));
        }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetInt64() : null;

    [Fact]
    public async Task Download_catches_an_object_replaced_out_of_band_with_the_same_size()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("small.txt", "original");
        var big = Bytes(12 * MiB, 31);
        s.Write("big.bin", big);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        // Same size, other bytes. A plain PUT changes the ETag, which verify already sees; the big one keeps
        // s3sync's fingerprint of the original file (metadata carried over), so only the bytes can tell.
        await server.PutAsync(s.Bucket, "small.txt", "ORIGINAL"u8.ToArray());
        var forged = Bytes(12 * MiB, 32);
        await PutWithFingerprintAsync(s.Bucket, "big.bin", forged, OddPartSize, Md5Hex(big));
        var before = await StateAsync(s.Bucket);

        var plain = await VerifyAsync(s, "--deep");
        var download = await VerifyAsync(s, "--deep", "--download");

        Assert.True(plain.ExitCode == 1, plain.ToString());
        Assert.Equal(["* small.txt  content differs"], Entries(plain.Output));
        Assert.True(download.ExitCode == 1, download.ToString());
        var firstDiff = big.AsSpan().CommonPrefixLength(forged);
        Assert.Equal(["* big.bin  content differs", "* small.txt  content differs"], Entries(download.Output));
        var json = await VerifyAsync(s, "--deep", "--download", "--json");
        var bigLine = JsonDocument.Parse(json.Output.Split('\n')[0]).RootElement;
        Assert.Equal("big.bin", bigLine.GetProperty("key").GetString());
        Assert.Equal($"content differs (downloaded bytes differ at offset {firstDiff})", bigLine.GetProperty("reason").GetString());
        Assert.Equal(before, await StateAsync(s.Bucket));
    }

    [Fact]
    public async Task Download_of_an_identical_tree_reports_nothing_and_exits_0()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 12; i++) s.Write($"f{i:00}.bin", Bytes(i * 300_000, i));
        s.Write("big.bin", Bytes(9 * MiB + 7, 99));
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        var run = await VerifyAsync(s, "--download");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Empty(Entries(run.Output));
        Assert.Contains("13 in sync", run.Output);
    }

    [Fact]
    public async Task Sync_dry_run_prints_the_actions_of_the_run_for_the_differences_verify_deep_reports_and_changes_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "keep");
        var edited = s.Write("edit.txt", "before");
        var gone = s.Write("gone.txt", "gone");
        var odd = Bytes(20 * MiB, 41);
        s.Write("odd.bin", odd);
        s.SiteConfig("name: www\nretire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        await PutWithFingerprintAsync(s.Bucket, "odd.bin", odd, OddPartSize, Md5Hex(odd));
        await server.PutAsync(s.Bucket, "foreign.bin", Bytes(1000, 1));
        s.Write("foreign.bin", Bytes(1000, 1));
        File.WriteAllText(edited, "after!");
        File.Delete(gone);
        s.Write("new.txt", "new");
        var before = await StateAsync(s.Bucket);

        var verify = await VerifyAsync(s, "--deep");
        var dryRun = await s.RunAsync("sync", "-c", s.ConfigPath, "--dry-run");

        AssertNoCredentials(dryRun);
        // The run would succeed: 0, as aws s3 sync --dryrun and rclone --dry-run exit; verify keeps 1 for differences.
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Equal(1, verify.ExitCode);
        Assert.Equal(["* edit.txt  content differs", "- gone.txt", "+ new.txt  3"], Entries(verify.Output));
        Assert.Equal(["(dryrun) delete: gone.txt", "(dryrun) upload: edit.txt", "(dryrun) upload: new.txt"],
            dryRun.Output.Split('\n').Where(l => l.StartsWith("(dryrun) ", StringComparison.Ordinal) && !l.StartsWith("(dryrun) site ", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(before, await StateAsync(s.Bucket));
    }

    [Fact]
    public async Task Two_sites_get_a_summary_each_and_one_in_total()
    {
        using var s = await Scenario.CreateAsync(server);
        var other = Path.Combine(s.Root, "other");
        Directory.CreateDirectory(other);
        s.Write("a.txt", "a");
        File.WriteAllText(Path.Combine(other, "b.txt"), "bb");
        s.Config($"- name: one\n  local_path: {s.Local}\n  bucket: {s.Bucket}\n  bucket_path: one\n- name: two\n  local_path: {other}\n  bucket: {s.Bucket}\n  bucket_path: two");
        Assert.Equal(0, (await s.SyncAsync("--site", "one")).ExitCode);

        var run = await VerifyAsync(s);
        var onlyOne = await VerifyAsync(s, "--site", "one");

        Assert.True(run.ExitCode == 1, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"site one: {s.Local} -> s3://{s.Bucket}/one/", lines[0]);
        Assert.StartsWith("site one: 0 differences", lines[1]);
        Assert.Equal($"site two: {other} -> s3://{s.Bucket}/two/", lines[2]);
        Assert.Equal("+ b.txt  2", lines[3]);
        Assert.StartsWith("site two: 1 differences: 1 missing (2 B)", lines[4]);
        Assert.StartsWith("total: 1 differences: 1 missing (2 B), 0 differing (0 B), 0 only in S3 (0 B), 0 kept (0 B), 0 cannot compare (0 B), 0 errors; 1 in sync (1 B); ", lines[5]);
        Assert.Equal(6, lines.Length);
        Assert.True(onlyOne.ExitCode == 0, onlyOne.ToString());
    }

    [Fact]
    public async Task Published_binary_prints_the_same_reports_as_the_command_in_process()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("same.txt", "same");
        s.Write("new.txt", "new");
        s.Write("unicode/ünïcødé.txt", "ü");
        await server.PutAsync(s.Bucket, "same.txt", "same"u8.ToArray());
        await server.PutAsync(s.Bucket, "unicode/ünïcødé.txt", "ö"u8.ToArray());
        await server.PutAsync(s.Bucket, "remote.txt", "r"u8.ToArray());
        s.SiteConfig("name: www");

        foreach (var format in new[] { "--deep", "--json" })
        {
            var inProcess = await VerifyAsync(s, format, "--all");
            var (code, stdout, stderr) = await RunBinaryAsync("verify", "-c", s.ConfigPath, format, "--all");

            Assert.True(code == 1, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Equal(ScrubTimes(inProcess.Output), ScrubTimes(stdout));
            Assert.DoesNotContain(server.SecretKey, stdout + stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>Runs the AOT binary that build.sh publishes (S3SYNC_BINARY), else the CLI assembly built next to the tests.</summary>
    private static async Task<(int, string, string)> RunBinaryAsync(params string[] args)
    {
        var binary = Environment.GetEnvironmentVariable("S3SYNC_BINARY");
        var psi = string.IsNullOrEmpty(binary) ? new System.Diagnostics.ProcessStartInfo("dotnet") : new System.Diagnostics.ProcessStartInfo(binary);
        if (string.IsNullOrEmpty(binary)) psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "s3sync.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.StandardOutputEncoding = psi.StandardErrorEncoding = System.Text.Encoding.UTF8;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Durations are the one thing that changes between two runs of the same report.</summary>
    internal static string ScrubTimes(string report) =>
        SecondsInJson().Replace(DurationInText().Replace(report, "; <time>"), "\"seconds\":0");

    [GeneratedRegex(@"; (\d+(\.\d)?s|\d+m\d\ds)(?= \(incomplete\)|$)", RegexOptions.Multiline)]
    private static partial Regex DurationInText();

    [GeneratedRegex(@"""seconds"":[0-9.eE+-]+")]
    private static partial Regex SecondsInJson();
}
