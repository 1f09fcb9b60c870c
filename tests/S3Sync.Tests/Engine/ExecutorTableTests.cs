using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Remote;
using S3Sync.Reporting;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Engine;

/// <summary>
/// The executor's decisions as a table, against the in-memory store (no server): a local tree and a bucket's state in,
/// what is uploaded, copied, deleted, failed or held, and what the bucket then holds, out. The Ceph scenarios prove
/// the same against a real server; these run in milliseconds.
/// </summary>
public sealed class ExecutorTableTests
{
    /// <param name="before">A tree synced first (the bucket as an earlier run of s3sync left it); "" none.</param>
    /// <param name="foreign">Objects another tool put (no s3sync metadata).</param>
    /// <param name="local">The local tree at the run.</param>
    [Theory]
    [InlineData("new files go up", "", "", "a=1 d/b=2", false, "upload:a upload:d/b", "a=1 d/b=2", SiteStatus.Done)]
    [InlineData("a second run does nothing", "a=1 b=2", "", "a=1 b=2", false, "", "a=1 b=2", SiteStatus.Done)]
    [InlineData("changed bytes go up again", "a=1 b=2", "", "a=99 b=2", false, "upload:a", "a=99 b=2", SiteStatus.Done)]
    [InlineData("a grown file goes up again", "a=1", "", "a=111", false, "upload:a", "a=111", SiteStatus.Done)]
    [InlineData("a deleted file's object is kept", "a=1 b=2", "", "a=1", false, "", "a=1 b=2", SiteStatus.Done)]
    [InlineData("retire_deleted deletes it", "a=1 b=2", "", "a=1", true, "delete:b", "a=1", SiteStatus.Done)]
    [InlineData("a foreign object with other bytes is replaced", "", "a=x", "a=1", false, "upload:a", "a=1", SiteStatus.Done)]
    [InlineData("a foreign object with the same bytes is in sync", "", "a=1", "a=1", false, "", "a=1", SiteStatus.Done)]
    [InlineData("a foreign object without a file is kept", "", "z=x", "a=1", false, "upload:a", "a=1 z=x", SiteStatus.Done)]
    [InlineData("every file deleted: the empty root is refused", "a=1 b=2", "", "", true, "delete:a(held) delete:b(held)", "a=1 b=2", SiteStatus.DeletesRefused)]
    public async Task A_local_tree_against_a_bucket_state(string name, string before, string foreign, string local, bool retire, string actions, string bucket, SiteStatus status)
    {
        _ = name;
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = retire };
        if (before.Length > 0)
        {
            site.Tree(before);
            Assert.Equal(SiteStatus.Done, (await site.SyncAsync()).Result.Status);
        }
        site.Foreign(foreign);
        site.Tree(local);

        var (result, done) = await site.SyncAsync();

        Assert.Equal(actions, done);
        Assert.Equal(bucket, site.Bucketed);
        Assert.Equal(status, result.Status);
    }

    [Fact]
    public async Task A_file_over_the_threshold_goes_up_in_parts_with_the_multipart_etag_of_its_bytes()
    {
        using var site = new MemorySite();
        var body = RandomNumberGenerator.GetBytes((int)(ETag.MultipartThreshold + ETag.MiB));
        File.WriteAllBytes(Path.Combine(site.Local, "big.bin"), body);

        var (result, actions) = await site.SyncAsync();

        Assert.Equal("upload:big.bin", actions);
        var stored = Assert.Single(site.Store.Objects);
        Assert.Equal(body, stored.Body);
        var part = ETag.PartSizeFor(body.Length);
        var md5s = body.Chunk((int)part).SelectMany(MD5.HashData).ToArray();
        Assert.Equal($"{Convert.ToHexStringLower(MD5.HashData(md5s))}-2", stored.ETag);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), stored.Meta(S3ObjectStore.FingerprintKey));
        Assert.Equal(1, result.Stats.Uploaded);
        // A second run proves the stored multipart ETag from the file: nothing goes up again.
        Assert.Equal("", (await site.SyncAsync()).Actions);
    }

    [Theory]
    [InlineData(StoreErrorKind.Throttled, "upload:a upload:b(failed)", "a=1", SiteStatus.Failed)]
    [InlineData(StoreErrorKind.AccessDenied, "upload:a upload:b(failed)", "a=1", SiteStatus.Failed)]
    public async Task A_refused_put_fails_its_key_only(StoreErrorKind kind, string actions, string bucket, SiteStatus status)
    {
        using var site = new MemorySite();
        site.Tree("a=1 b=2");
        site.Store.Fault = (verb, key) => verb == "PUT" && key.EndsWith("/b", StringComparison.Ordinal) ? new StoreException(kind, $"{kind} (HTTP 503)") : null;

        var (result, done) = await site.SyncAsync();

        Assert.Equal(actions, done);
        Assert.Equal(bucket, site.Bucketed);
        Assert.Equal(status, result.Status);
        Assert.Equal(1, result.Stats.Failed);
        Assert.Contains(result.Problems, p => p.StartsWith("b: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_digest_once_is_read_and_sent_again()
    {
        using var site = new MemorySite();
        site.Tree("a=1");
        var faults = 0;
        site.Store.Fault = (verb, _) => verb == "PUT" && Interlocked.Increment(ref faults) == 1 ? new StoreException(StoreErrorKind.BadDigest, "BadDigest (HTTP 400)", "BadDigest", 400) : null;

        var (result, actions) = await site.SyncAsync();

        Assert.Equal("upload:a", actions);
        Assert.Equal("a=1", site.Bucketed);
        Assert.Equal(SiteStatus.Done, result.Status);
        Assert.Equal(2, site.Store.Calls.Count(c => c.StartsWith("PUT ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_missing_bucket_fails_the_site_naming_it()
    {
        using var site = new MemorySite();
        site.Store.BucketMissing = true;
        site.Tree("a=1");

        var (result, actions) = await site.SyncAsync();

        Assert.Equal("", actions);
        Assert.Equal(SiteStatus.Failed, result.Status);
        Assert.Contains(result.Problems, p => p.Contains($"bucket '{MemorySite.Bucket}' does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dry_run_records_what_the_run_does_and_changes_nothing()
    {
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true };
        site.Tree("a=1 b=2");
        await site.SyncAsync();
        site.Tree("a=99 c=3");

        var (dry, planned) = await site.SyncAsync(new SyncSettings { DryRun = true });

        Assert.Equal("a=1 b=2", site.Bucketed);
        var (real, done) = await site.SyncAsync();
        Assert.Equal(done.Replace(" ", "(planned) ", StringComparison.Ordinal) + "(planned)", planned);
        Assert.Equal(real.Status, dry.Status);
        Assert.Equal((real.Stats.Uploaded, real.Stats.Deleted), (dry.Stats.Uploaded, dry.Stats.Deleted));
        Assert.Equal("a=99 c=3", site.Bucketed);
    }

    [Fact]
    public async Task A_restore_counts_downloads_as_downloads_through_the_same_run_skeleton()
    {
        using var site = new MemorySite();
        site.Tree("a=1 d/b=22");
        await site.SyncAsync();
        var body = RandomNumberGenerator.GetBytes((int)(ETag.MultipartThreshold + ETag.MiB));
        File.WriteAllBytes(Path.Combine(site.Local, "big.bin"), body);
        await site.SyncAsync();
        var target = Path.Combine(site.Root, "restored");
        var events = new System.Collections.Concurrent.ConcurrentQueue<ActionEvent>();
        var restore = new SiteRestore(site.Site with { LocalPath = target }, site.Store, Planning.DirectDigestSource.Instance, new RestoreSettings(2, Owner: false), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        restore.Acted += events.Enqueue;

        var result = await restore.RunAsync(default);

        Assert.Equal(SiteStatus.Done, result.Status);
        Assert.Equal("download:a download:big.bin download:d/b", MemorySite.Actions(events));
        Assert.Equal((3L, 0L, 0L), (result.Stats.Downloaded, result.Stats.Uploaded, result.Stats.UploadedBytes));
        Assert.Equal(3 + body.Length, result.Stats.DownloadedBytes);
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(target, "big.bin")));
        Assert.Equal("22", File.ReadAllText(Path.Combine(target, "d/b")));
        // The big object came in ranged GETs, each pinned to the listed ETag.
        Assert.True(site.Store.Calls.Count(c => c == "GET p/big.bin") >= 1);
    }

    /// <summary>
    /// The one run of the core (<see cref="SyncRun"/>, as <c>sync</c> runs it) three ways over the same trees: the text
    /// dry run (<see cref="ActionText"/>), the JSON dry run (<see cref="ActionReport"/>) and the real run. All three show
    /// the same actions, hold the same deletions and end with the same status, so the same exit code.
    /// </summary>
    /// <param name="maxDelete">The site's max_delete ("" the default).</param>
    [Theory]
    [InlineData("nothing to do", "a=1 b=2", "a=1 b=2", "", "", SiteStatus.Done)]
    [InlineData("new, changed and deleted files", "a=1 b=2", "a=9 c=3", "", "delete:b upload:a upload:c", SiteStatus.Done)]
    [InlineData("a count max_delete holds every deletion past it", "a=1 b=2 c=3", "a=1", "1", "delete:b(held) delete:c(held)", SiteStatus.DeletesRefused)]
    [InlineData("a percentage of the site's objects allows its share", "a=1 b=2 c=3 d=4", "a=1 b=2 c=3", "25%", "delete:d", SiteStatus.Done)]
    [InlineData("every file deleted: the empty root is refused", "a=1 b=2", "", "", "delete:a(held) delete:b(held)", SiteStatus.DeletesRefused)]
    [InlineData("uploads go on while deletions are held", "a=1 b=2 c=3", "a=1 n=5", "1", "delete:b(held) delete:c(held) upload:n", SiteStatus.DeletesRefused)]
    public async Task The_text_dry_run_the_json_dry_run_and_the_run_agree(string name, string before, string local, string maxDelete, string actions, SiteStatus status)
    {
        _ = name;
        using var site = new MemorySite();
        site.Site = site.Site with { RetireDeleted = true, MaxDelete = maxDelete.Length == 0 ? site.Site.MaxDelete : Limit(maxDelete) };
        var state = Path.Combine(site.Root, "state");
        var config = new SyncConfig { SourceFile = "table", Sites = [site.Site], StateDir = state, UploadWorkers = 2, WorkersFixed = true };
        site.Tree(before);
        Assert.Equal(SiteStatus.Done, (await RunAsync(config, site.Store, dryRun: false)).Result.Worst);
        site.Tree(local);
        var bucket = site.Bucketed;

        using var text = new StringWriter();
        var (textRun, _) = await RunAsync(config, site.Store, dryRun: true, follow: (s, sync) => new ActionText(text, nameSites: false).Follow(s, sync));
        using var json = new StringWriter();
        var report = new ActionReport(json, dryRun: true, download: false);
        var (jsonRun, _) = await RunAsync(config, site.Store, dryRun: true, follow: report.Follow, finished: report.SiteSummary);
        Assert.Equal(bucket, site.Bucketed);
        var (realRun, done) = await RunAsync(config, site.Store, dryRun: false);

        Assert.Equal(actions, done);
        Assert.Equal(actions, FromText(text.ToString()));
        Assert.Equal(actions, FromJson(json.ToString()));
        Assert.Equal([status, status, status], new[] { textRun.Worst, jsonRun.Worst, realRun.Worst });
        Assert.Equal(ActionReport.StatusName(status), JsonLines(json.ToString()).Single(l => l.GetProperty("type").GetString() == "summary").GetProperty("status").GetString());
        Assert.Equal(ExitCodesOf(realRun), ExitCodesOf(textRun));
    }

    private static int ExitCodesOf(RunOutcome run) => S3Sync.Cli.ExitCodes.For(run.Worst);

    private static DeleteLimit Limit(string text) => DeleteLimit.TryParse(text, out var limit) ? limit : throw new ArgumentException(text);

    private static async Task<(RunOutcome Result, string Actions)> RunAsync(SyncConfig config, MemoryStore store, bool dryRun, Action<Site, SiteSync>? follow = null, Action<SiteResult>? finished = null)
    {
        var events = new System.Collections.Concurrent.ConcurrentQueue<ActionEvent>();
        var run = new SyncRun(config, new SyncSettings { DryRun = dryRun }, (_, _, _, _) => store, NullLogger.Instance)
        {
            Starting = (site, sync, _) =>
            {
                sync.Acted += events.Enqueue;
                follow?.Invoke(site, sync);
                return null;
            },
        };
        if (finished is not null) run.SiteFinished += finished;
        var result = await run.RunAsync(CancellationToken.None);
        // A planned action is the one the run would do: the same line.
        return (result, MemorySite.Actions(events.Select(e => e.Status == ActionStatus.Planned ? e with { Status = ActionStatus.Done } : e)));
    }

    /// <summary>"(dryrun) upload: a" and "(held) delete: b: why" as "upload:a" and "delete:b(held)".</summary>
    private static string FromText(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
    {
        var held = line.StartsWith("(held) ", StringComparison.Ordinal);
        var rest = line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..].Split(": ");
        return $"{rest[0]}:{rest[1].TrimEnd('\r')}" + (held ? "(held)" : "");
    }).Order(StringComparer.Ordinal));

    private static string FromJson(string json) => string.Join(' ', JsonLines(json).Where(l => l.GetProperty("type").GetString() == "action")
        .Select(l => $"{l.GetProperty("action").GetString()}:{l.GetProperty("key").GetString()}" + (l.GetProperty("status").GetString() == "held" ? "(held)" : ""))
        .Order(StringComparer.Ordinal));

    private static List<JsonElement> JsonLines(string json) =>
        [.. json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
}
