using System.Diagnostics;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// A server that loops, stalls or never answers (<see cref="MisbehavingServer"/> on loopback) cannot hang a run:
/// the binary, with the default settings unless a test says otherwise, ends with exit 3 and a one-line reason.
/// The 2-minute bound is a correctness bound (a cron job must end), asserted as an upper bound on elapsed time.
/// </summary>
public static class Hang
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    /// <summary>A config for one site (bucket "hang") on the given endpoint; nothing but what the test needs.</summary>
    public static string Config(string root, string endpoint, string local, string extra = "")
    {
        Directory.CreateDirectory(root);
        var path = Path.Combine(root, "config.yml");
        File.WriteAllText(path, $"""
            endpoint: {endpoint}
            access_key: MISBEHAVINGACCESSKEY
            secret_access_key: misbehaving-secret-key-000000000000000000
            state_dir: {Path.Combine(root, "state")}
            {extra}
            sites:
            - local_path: {local}
              bucket: hang
              retire_deleted: true
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public static (string Root, string Local) Tree(params string[] files)
    {
        var root = Path.Combine(Path.GetTempPath(), "s3sync-hang-" + Guid.NewGuid().ToString("N")[..10]);
        var local = Path.Combine(root, "data");
        Directory.CreateDirectory(local);
        foreach (var f in files) File.WriteAllText(Path.Combine(local, f), "content of " + f);
        return (root, local);
    }

    public static async Task<(RunResult Run, TimeSpan Elapsed)> RunAsync(params string[] args)
    {
        var clock = Stopwatch.StartNew();
        // The test's own limit is past the bound: a run that overstays fails the assertion with its output.
        var run = await CliProcess.RunAsync(args, timeout: Bound + TimeSpan.FromSeconds(30));
        return (run, clock.Elapsed);
    }

    /// <summary>Exit 3 within the bound, and the reason on one line of its own.</summary>
    public static void AssertFailedWithin(RunResult run, TimeSpan elapsed, string reason, TimeSpan? bound = null)
    {
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.True(elapsed < (bound ?? Bound), $"took {elapsed.TotalSeconds:F1} s\n{run}");
        var all = run.Output + run.Error;
        Assert.True(all.Contains(reason, StringComparison.Ordinal), run.ToString());
        Assert.DoesNotContain("   at ", all); // no stack trace
        var line = all.Split('\n').First(l => l.Contains(reason, StringComparison.Ordinal));
        Assert.True(line.Length < 400, line);
    }
}

public sealed class ListingLoopTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact(Timeout = 180_000)]
    public async Task A_listing_that_repeats_its_token_on_empty_truncated_pages_fails_the_site_at_once_with_exit_3()
    {
        // Given a server whose ListObjectsV2 answers empty pages, truncated, with the same token every time
        using var server = new MisbehavingServer((method, target) => MisbehavingServer.LoopingListing("hang"));
        var (root, local) = Hang.Tree("a.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        // When a sync runs with the default settings
        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config);
        log.WriteLine($"{elapsed.TotalSeconds:F1} s, {server.Requests.Count} requests\n{run}");

        // Then the site fails at the repeated token: exit 3, one line, two listing requests, nothing uploaded
        Hang.AssertFailedWithin(run, elapsed, "repeated a continuation token");
        Assert.Equal(2, server.Count("GET", "list-type=2"));
        Assert.Equal(0, server.Count("PUT", "/hang/"));
        Assert.Contains("[incomplete: see errors]", run.Output);
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_multipart_upload_listing_truncated_without_a_marker_ends_the_run_after_its_work()
    {
        // Given a server that takes the upload, then lists open uploads as truncated with no marker to go on from
        using var server = new MisbehavingServer((method, target) =>
            method == "PUT" ? new Misbehaviour.AcceptPut()
            : target.Contains("uploads", StringComparison.Ordinal) ? MisbehavingServer.MarkerlessUploads("hang")
            : MisbehavingServer.EmptyListing("hang"));
        var (root, local) = Hang.Tree("a.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        // When a sync runs with the default settings
        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config);
        log.WriteLine($"{elapsed.TotalSeconds:F1} s, {server.Requests.Count} requests\n{run}");

        // Then the file is uploaded, the cleanup's listing is asked for once, and the run ends with exit 3
        Hang.AssertFailedWithin(run, elapsed, "truncated but gives no marker");
        Assert.Equal(1, server.Count("PUT", "/hang/a.txt"));
        Assert.Equal(1, server.Count("GET", "?uploads"));
        Assert.Contains("uploaded 1 files", run.Output);
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 180_000)]
    public async Task Empty_truncated_pages_with_fresh_tokens_are_refused_after_a_bounded_number()
    {
        var page = 0;
        using var server = new MisbehavingServer((method, target) => new Misbehaviour.Answer(200,
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hang</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>t{Interlocked.Increment(ref page)}</NextContinuationToken></ListBucketResult>"));
        var (root, local) = Hang.Tree("a.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config);

        Hang.AssertFailedWithin(run, elapsed, "empty truncated pages in a row");
        Assert.Equal(10, server.Count("GET", "list-type=2"));
        Directory.Delete(root, true);
    }
}

/// <summary>A body that stalls after its headers and 100 bytes, with the default settings (one case) and a short timeout.</summary>
public sealed class StalledBodyTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const long Part = 8L << 20;

    /// <summary>big.bin of 3 parts in s3sync's layout (8 MiB, 8 MiB, 1000 bytes): its bytes, a listing of it, its ETag header.</summary>
    private static (byte[] Body, string Listing, Dictionary<string, string> Headers) ThreePartObject(int seed)
    {
        var body = new byte[2 * Part + 1000];
        new Random(seed).NextBytes(body);
        var partMd5s = Enumerable.Range(0, 3).Select(i => System.Security.Cryptography.MD5.HashData(body.AsSpan((int)(i * Part), (int)Math.Min(Part, body.Length - i * Part)))).ToArray();
        var etag = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(partMd5s.SelectMany(m => m).ToArray())) + "-3";
        var listing = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hang</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            + $"<Contents><Key>big.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"{etag}\"</ETag><Size>{body.Length}</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";
        return (body, listing, new Dictionary<string, string> { ["ETag"] = $"\"{etag}\"" });
    }

    [Fact(Timeout = 180_000)]
    public async Task A_body_that_stalls_after_100_bytes_is_retried_like_a_timeout_then_fails_within_the_bound_at_the_defaults()
    {
        using var server = new MisbehavingServer((_, _) => new Misbehaviour.StallBody(100));
        var (root, local) = Hang.Tree("a.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config);
        log.WriteLine($"time to failure at the defaults: {elapsed.TotalSeconds:F1} s, {server.Requests.Count} requests\n{run}");

        Hang.AssertFailedWithin(run, elapsed, "timed out");
        Assert.Contains("retrying LIST s3://hang/ (attempt 2/6): the request timed out", run.Error);
        Assert.Equal(2, server.Count("GET", "list-type=2"));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_PUT_whose_answer_stalls_fails_that_file_in_bounded_time_and_the_run_ends()
    {
        using var server = new MisbehavingServer((method, target) =>
            method == "PUT" ? new Misbehaviour.StallBody(100)
            : target.Contains("uploads", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, "<ListMultipartUploadsResult><Bucket>hang</Bucket><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>")
            : MisbehavingServer.EmptyListing("hang"));
        var (root, local) = Hang.Tree("a.txt", "b.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config, "--timeout", "2");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        Hang.AssertFailedWithin(run, elapsed, "timed out", TimeSpan.FromSeconds(30));
        Assert.Contains("failed 2", run.Output);
        Assert.Equal(4, server.Count("PUT", "/hang/")); // two attempts each
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_download_whose_body_stalls_once_is_retried_with_a_warning_and_restored()
    {
        // Given a bucket listing one 5000-byte object whose first GET stalls after 100 bytes and whose second answers
        var body = new string('r', 5000);
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.ASCII.GetBytes(body)));
        var listing = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hang</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            + $"<Contents><Key>k.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"{md5}\"</ETag><Size>5000</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";
        var gets = 0;
        using var server = new MisbehavingServer((method, target) =>
            target.Contains("list-type=2", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, listing)
            : Interlocked.Increment(ref gets) == 1 ? new Misbehaviour.StallBody(100)
            : new Misbehaviour.Answer(200, body, "application/octet-stream", new Dictionary<string, string> { ["ETag"] = $"\"{md5}\"" }));
        var (root, local) = Hang.Tree();
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored with a short timeout
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--timeout", "2");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        // Then the stalled GET was retried once, said so at warn, and the file holds the object's bytes
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("retrying GET k.bin (attempt 2/2): ", run.Error);
        Assert.Equal(2, gets);
        Assert.Equal(body, File.ReadAllText(Path.Combine(local, "k.bin")));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_multipart_download_that_stalls_in_its_second_part_resumes_at_that_part_and_is_restored_whole()
    {
        // Given a 3-part object (s3sync's 8 MiB parts) fetched by one worker in one ranged GET, which stalls 100 bytes
        // into the second part; the GETs after it answer in full
        var (body, listing, headers) = ThreePartObject(14);
        var gets = 0;
        using var server = new MisbehavingServer((method, target) =>
            target.Contains("list-type=2", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, listing)
            : new Misbehaviour.Object(body, headers, Interlocked.Increment(ref gets) == 1 ? (int)Part + 100 : null));
        var (root, local) = Hang.Tree();
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored with a short timeout
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--workers", "1", "--timeout", "2");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}\nranges: {string.Join(", ", server.Ranges)}");

        // Then the retry asked only for the parts not yet whole, said so at warn, and the file holds the object's bytes
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("retrying GET big.bin (attempt 2/2): ", run.Error);
        Assert.Equal([$"bytes=0-{body.Length - 1}", $"bytes={Part}-{body.Length - 1}"], server.Ranges.ToArray());
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(local, "big.bin")));
        Assert.Empty(Directory.GetFiles(local, ".s3sync-restore-*", SearchOption.AllDirectories));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_stall_in_one_of_three_streams_asks_again_for_that_stream_only()
    {
        // Given a 3-part object fetched by 3 workers (one GET per part, read side by side), whose first GET to arrive
        // stalls after 100 bytes
        var (body, listing, headers) = ThreePartObject(15);
        var gets = 0;
        using var server = new MisbehavingServer((method, target) =>
            target.Contains("list-type=2", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, listing)
            : new Misbehaviour.Object(body, headers, Interlocked.Increment(ref gets) == 1 ? 100 : null));
        var (root, local) = Hang.Tree();
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored with a short timeout
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--workers", "3", "--timeout", "2");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}\nranges: {string.Join(", ", server.Ranges)}");

        // Then one part was asked for twice and the other two once, and the file holds the object's bytes
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("retrying GET big.bin (attempt 2/2): ", run.Error);
        var ranges = server.Ranges.GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new[] { $"bytes=0-{Part - 1}", $"bytes={Part}-{2 * Part - 1}", $"bytes={2 * Part}-{body.Length - 1}" }.Order(StringComparer.Ordinal), ranges.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([1, 1, 2], ranges.Values.Order());
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(local, "big.bin")));
        Directory.Delete(root, true);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(4000)]
    [InlineData(6000)]
    public async Task A_body_shorter_or_longer_than_listed_fails_that_key_and_writes_nothing(int served)
    {
        // Given a listing of a 5000-byte object whose GET answers another length (replaced since the listing)
        var body = new byte[served];
        new Random(16).NextBytes(body);
        var listing = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hang</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            + "<Contents><Key>k.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>5000</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";
        using var server = new MisbehavingServer((method, target) =>
            target.Contains("list-type=2", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, listing) : new Misbehaviour.Object(body));
        var (root, local) = Hang.Tree();
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        // Then that key fails on one line saying why, and no file (nor a temporary one) is left
        Hang.AssertFailedWithin(run, elapsed, "k.bin: the object's body is not the 5000 bytes listed (replaced during the restore?)");
        Assert.Empty(Directory.GetFileSystemEntries(local));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_server_that_ignores_range_fails_the_key_on_one_line_and_writes_nothing()
    {
        // Given a 3-part object on a server that answers every ranged GET with the whole object (200)
        var (body, listing, headers) = ThreePartObject(17);
        using var server = new MisbehavingServer((method, target) =>
            target.Contains("list-type=2", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, listing) : new Misbehaviour.Object(body, headers, IgnoreRange: true));
        var (root, local) = Hang.Tree();
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored with 3 workers (3 ranged GETs)
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--workers", "3");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        // Then the key fails saying the range was ignored, and no file (nor a temporary one) is left
        // (whichever of the 3 GETs answers first names its range: 8 MiB or the last part's 1000 bytes)
        Hang.AssertFailedWithin(run, elapsed, $"big.bin: the server answered {body.Length} bytes for a range of ");
        Assert.Contains("(it ignored the Range header?)", run.Output + run.Error);
        Assert.Empty(Directory.GetFileSystemEntries(local));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_download_whose_body_stalls_fails_in_bounded_time()
    {
        // Given a bucket listing one 5000-byte object whose GET stalls after 100 bytes
        var listing = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hang</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
            + "<Contents><Key>k.bin</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>5000</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";
        using var server = new MisbehavingServer((method, target) =>
            target.Contains("list-type=2", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, listing) : new Misbehaviour.StallBody(100));
        var (root, local) = Hang.Tree();
        var config = Hang.Config(root, server.Endpoint, local);

        // When it is restored with a short timeout
        var (run, elapsed) = await Hang.RunAsync("restore", "-c", config, "--in-place", "--timeout", "2");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s\n{run}");

        // Then the restore fails that key within seconds and writes no partial file
        Hang.AssertFailedWithin(run, elapsed, "k.bin", TimeSpan.FromSeconds(40));
        Assert.False(File.Exists(Path.Combine(local, "k.bin")));
        Directory.Delete(root, true);
    }
}

/// <summary>A server that accepts connections and never answers.</summary>
public sealed class SilentServerTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact(Timeout = 180_000)]
    public async Task A_server_that_never_answers_fails_the_run_with_one_line_within_the_bound_at_the_defaults()
    {
        using var server = new MisbehavingServer((_, _) => new Misbehaviour.Silence());
        var (root, local) = Hang.Tree("a.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config);
        log.WriteLine($"time to failure at the defaults: {elapsed.TotalSeconds:F1} s, {server.Requests.Count} requests\n{run}");

        Hang.AssertFailedWithin(run, elapsed, "timed out");
        Assert.Equal(2, server.Count("GET", "list-type=2"));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task Verify_against_a_silent_server_ends_with_exit_3_in_bounded_time()
    {
        using var server = new MisbehavingServer((_, _) => new Misbehaviour.Silence());
        var (root, local) = Hang.Tree("a.txt");
        var config = Hang.Config(root, server.Endpoint, local);

        var (run, elapsed) = await Hang.RunAsync("verify", "-c", config, "--timeout", "2");

        Hang.AssertFailedWithin(run, elapsed, "timed out", TimeSpan.FromSeconds(30));
        Directory.Delete(root, true);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_server_that_stops_answering_mid_run_fails_the_files_left_at_once_instead_of_each_waiting()
    {
        // Given a server that lists, then never answers a PUT, and 20 files to upload with 2 workers
        using var server = new MisbehavingServer((method, target) =>
            method == "PUT" ? new Misbehaviour.Silence()
            : target.Contains("uploads", StringComparison.Ordinal) ? new Misbehaviour.Answer(200, "<ListMultipartUploadsResult><Bucket>hang</Bucket><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>")
            : MisbehavingServer.EmptyListing("hang"));
        var (root, local) = Hang.Tree([.. Enumerable.Range(0, 20).Select(i => $"f{i:D2}.txt")]);
        var config = Hang.Config(root, server.Endpoint, local);

        // When a sync runs with a 2 s timeout (each file on its own would wait 2 attempts of 2 s: 40 s in all)
        var (run, elapsed) = await Hang.RunAsync("sync", "-c", config, "--timeout", "2", "--workers", "2");
        log.WriteLine($"{elapsed.TotalSeconds:F1} s, {server.Count("PUT", "/hang/")} PUTs\n{run}");

        // Then the first uploads time out, the rest fail at once, and the run ends in a few seconds
        Hang.AssertFailedWithin(run, elapsed, "not tried: the server did not answer", TimeSpan.FromSeconds(20));
        Assert.Contains("failed 20", run.Output);
        Assert.InRange(server.Count("PUT", "/hang/"), 2, 6);
        Directory.Delete(root, true);
    }
}
