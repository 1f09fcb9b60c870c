using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Amazon.S3.Model;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch against the real server: each behaviour of the issue, waiting for the watcher's own events.</summary>
[Collection("s3")]
public sealed class WatchScenarioTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    private async Task<Dictionary<string, S3Object>> BucketAsync(Scenario s) => (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key);

    private async Task<string> TextAsync(Scenario s, string key) => Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, key));

    /// <summary>Writes a sentinel file and waits for its upload: every event queued before it has been handled by then.</summary>
    private static async Task BarrierAsync(WatchHarness w, string name = "zz-sentinel.txt")
    {
        var before = w.Count(WatchActivityKind.Uploaded, name);
        w.Scenario.Write(name, Guid.NewGuid().ToString());
        await w.WaitForAsync(WatchActivityKind.Uploaded, name, before + 1);
    }

    [Fact]
    public async Task Watch_uploads_a_file_created_after_the_initial_sync()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("before.txt", "before");
        s.SiteConfig();
        await using var w = new WatchHarness(s);
        await w.StartAsync();
        Assert.Equal("before", await TextAsync(s, "before.txt"));

        s.Write("docs/new.txt", "created while watching");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "docs/new.txt");

        Assert.Equal("created while watching", await TextAsync(s, "docs/new.txt"));
    }

    [Fact]
    public async Task Watch_uploads_the_new_content_of_a_modified_file()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("page.html", "<p>one</p>");
        s.SiteConfig();
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        s.Write("page.html", "<p>two, longer</p>");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "page.html");

        Assert.Equal("<p>two, longer</p>", await TextAsync(s, "page.html"));
    }

    [Fact]
    public async Task Watch_uploads_a_file_appended_in_many_writes_once_with_its_final_state()
    {
        using var s = await Scenario.CreateAsync(server);
        // A long quiet interval: on a loaded machine a pause between two writes must not count as the writer being done.
        s.SiteConfig(globals: "watch_interval: 60000");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // Given one writer appending 200 times (each write flushed, so each is an IN_MODIFY event) and closing once.
        var expected = new StringBuilder();
        await using (var f = new FileStream(Path.Combine(s.Local, "app.log"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            for (var i = 0; i < 200; i++)
            {
                var line = $"line {i}\n";
                expected.Append(line);
                f.Write(Encoding.UTF8.GetBytes(line));
                f.Flush(flushToDisk: false);
            }
        }
        await w.WaitForAsync(WatchActivityKind.Uploaded, "app.log");
        await BarrierAsync(w);

        // Then exactly one upload, of the whole file.
        Assert.Equal(1, w.Count(WatchActivityKind.Uploaded, "app.log"));
        Assert.Equal(expected.ToString(), await TextAsync(s, "app.log"));
    }

    [Fact]
    public async Task Watch_uploads_a_file_that_is_never_closed_once_it_has_been_quiet()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig(globals: "watch_interval: 300");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        await using var f = new FileStream(Path.Combine(s.Local, "open.log"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1);
        f.Write("still open"u8);
        f.Flush();
        await w.WaitForAsync(WatchActivityKind.Uploaded, "open.log");

        Assert.Equal("still open", await TextAsync(s, "open.log"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Watch_deletes_the_key_of_a_deleted_file_only_with_retire_deleted(bool retire)
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "keep");
        s.Write("gone.txt", "gone");
        s.SiteConfig(retire ? "retire_deleted: true" : "");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        File.Delete(Path.Combine(s.Local, "gone.txt"));
        if (retire) await w.WaitForAsync(WatchActivityKind.Deleted, "gone.txt");
        else await BarrierAsync(w);

        var keys = await BucketAsync(s);
        Assert.Equal(!retire, keys.ContainsKey("gone.txt"));
        Assert.True(keys.ContainsKey("keep.txt"));
        Assert.Equal(retire ? 0 : 0, w.Count(retire ? WatchActivityKind.UploadFailed : WatchActivityKind.Deleted));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Watch_rename_uploads_the_new_key_and_deletes_the_old_only_with_retire_deleted(bool retire)
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("draft.txt", "content");
        s.SiteConfig(retire ? "retire_deleted: true" : "");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        File.Move(Path.Combine(s.Local, "draft.txt"), Path.Combine(s.Local, "final.txt"));
        await w.WaitForAsync(WatchActivityKind.Uploaded, "final.txt");
        if (retire) await w.WaitForAsync(WatchActivityKind.Deleted, "draft.txt");
        else await BarrierAsync(w);

        var keys = await BucketAsync(s);
        Assert.Equal("content", await TextAsync(s, "final.txt"));
        Assert.Equal(!retire, keys.ContainsKey("draft.txt"));
    }

    [Fact]
    public async Task Watch_moving_a_folder_moves_every_key_below_it()
    {
        using var s = await Scenario.CreateAsync(server);
        var files = new[] { "old/a.txt", "old/sub/b.txt", "old/sub/deeper/c.txt" };
        foreach (var f in files) s.Write(f, f);
        s.Write("other.txt", "other");
        s.SiteConfig("retire_deleted: true");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // A folder renamed within the site is moved server-side by a full sync (issue #26): a "move" per key.
        Directory.Move(Path.Combine(s.Local, "old"), Path.Combine(s.Local, "new"));
        foreach (var f in files) await w.WaitForAsync(WatchActivityKind.Moved, "new" + f[3..]);
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        Assert.Equal(0, w.Count(WatchActivityKind.Uploaded));

        var keys = (await BucketAsync(s)).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["new/a.txt", "new/sub/b.txt", "new/sub/deeper/c.txt", "other.txt"], keys);
        Assert.Equal("old/sub/b.txt", await TextAsync(s, "new/sub/b.txt"));

        // And a folder moved out of the tree is gone from S3, every file below it.
        Directory.Move(Path.Combine(s.Local, "new"), Path.Combine(s.Root, "outside"));
        foreach (var f in files) await w.WaitForAsync(WatchActivityKind.Deleted, "new" + f[3..]);
        Assert.Equal(["other.txt"], (await BucketAsync(s)).Keys.ToList());
    }

    [Fact]
    public async Task Watch_removing_a_folder_deletes_every_key_below_it_with_retire_deleted()
    {
        using var s = await Scenario.CreateAsync(server);
        var files = new[] { "tree/a.txt", "tree/x/b.txt", "tree/x/y/c.txt" };
        foreach (var f in files) s.Write(f, f);
        s.Write("rest.txt", "rest");
        s.SiteConfig("retire_deleted: true");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        Directory.Delete(Path.Combine(s.Local, "tree"), recursive: true);
        foreach (var f in files) await w.WaitForAsync(WatchActivityKind.Deleted, f);

        Assert.Equal(["rest.txt"], (await BucketAsync(s)).Keys.ToList());
    }

    [Fact]
    public async Task Watch_syncs_every_file_in_nested_folders_created_at_once()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig(globals: "watch_interval: 3000");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // mkdir -p a/b/c followed at once by files at every level: the folders are watched only after they exist.
        var files = new List<string>();
        Directory.CreateDirectory(Path.Combine(s.Local, "a/b/c"));
        foreach (var dir in new[] { "a", "a/b", "a/b/c" })
            for (var i = 0; i < 5; i++)
            {
                var key = $"{dir}/f{i}.txt";
                File.WriteAllText(Path.Combine(s.Local, key), key);
                files.Add(key);
            }
        foreach (var key in files) await w.WaitForAsync(WatchActivityKind.Uploaded, key);
        await BarrierAsync(w);

        var bucket = await BucketAsync(s);
        foreach (var key in files) Assert.Equal(key, await TextAsync(s, key));
        Assert.All(files, key => Assert.Equal(1, w.Count(WatchActivityKind.Uploaded, key)));
        Assert.Equal(files.Count + 1, bucket.Count);
    }

    [Fact]
    public async Task Watch_ignores_excluded_paths_and_honours_inclusions()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("exclusions:\n  - '\\.tmp$'\n  - '^cache/'");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        s.Write("work.tmp", "scratch");
        s.Write("cache/big.bin", "cached");
        s.Write("kept.txt", "kept");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "kept.txt");
        await BarrierAsync(w);

        Assert.Equal(["kept.txt", "zz-sentinel.txt"], (await BucketAsync(s)).Keys.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(0, w.Count(WatchActivityKind.Uploaded, "work.tmp") + w.Count(WatchActivityKind.Uploaded, "cache/big.bin"));
    }

    [Fact]
    public async Task Watch_rescans_the_site_when_events_were_lost()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // Given a change whose events the kernel dropped (the seam drops them; the kernel cannot be made to).
        w.Source.Dropping = true;
        var path = s.Write("missed.txt", "never seen by an event");
        await w.WaitUntilAsync(() => w.Source.Dropped.Contains(path), "the dropped event");
        w.Source.Dropping = false;

        // When the overflow is reported.
        w.Source.Inject(new ChangeEvent(ChangeKind.Overflow, s.Local, TimeProvider.System.GetTimestamp(), "injected overflow"));
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);

        // Then the rescan found it, and the log and the metrics say what happened.
        Assert.Equal("never seen by an event", await TextAsync(s, "missed.txt"));
        Assert.Contains("injected overflow; running a full sync to catch up", w.Log.Text);
        Assert.Contains("s3sync_overflows_total{site=\"default\"} 1", w.Service.Metrics.Render().Replace(s.Bucket, "default", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_logs_and_rescans_when_the_watch_limit_is_reached()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        await using var w = new WatchHarness(s);
        await w.StartAsync();
        w.Source.Dropping = true;
        var path = s.Write("deep/unwatched.txt", "in a folder that got no watch");
        await w.WaitUntilAsync(() => w.Source.Dropped.Contains(path), "the dropped event");
        w.Source.Dropping = false;

        w.Source.Inject(new ChangeEvent(ChangeKind.WatchLimit, Path.Combine(s.Local, "deep"), TimeProvider.System.GetTimestamp(), "fs.inotify.max_user_watches is reached"));
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);

        Assert.Equal("in a folder that got no watch", await TextAsync(s, "deep/unwatched.txt"));
        Assert.Contains(w.Log.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("max_user_watches is reached; running a full sync", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_applies_a_valid_configuration_and_refuses_an_invalid_one()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("bucket_path: one");
        await using var w = new WatchHarness(s, watchConfigFile: true);
        await w.StartAsync();
        var reloads = new List<bool>();
        w.Service.Reloaded += ok => { lock (reloads) reloads.Add(ok); };

        // A valid new file (written by rename, as editors and ConfigMaps do) is picked up by the file watch.
        var next = s.ConfigPath + ".new";
        File.Copy(s.ConfigPath, next);
        File.WriteAllText(next, File.ReadAllText(next).Replace("bucket_path: one", "bucket_path: two", StringComparison.Ordinal));
        File.Move(next, s.ConfigPath, overwrite: true);
        await w.WaitUntilAsync(() => { lock (reloads) return reloads.Count == 1; }, "the reload");
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        s.Write("after-reload.txt", "x");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "after-reload.txt");
        Assert.True(reloads[0]);
        Assert.True((await BucketAsync(s)).ContainsKey("two/after-reload.txt"));

        // An invalid one is refused with a line naming the file and the key; the running configuration goes on.
        var valid = File.ReadAllText(s.ConfigPath);
        File.WriteAllText(s.ConfigPath, valid.Replace("upload_workers: 4", "upload_workers: -3", StringComparison.Ordinal));
        Assert.False(await w.Service.ReloadAsync("SIGHUP"));
        Assert.Contains($"configuration reload (SIGHUP) refused: {s.ConfigPath}:", w.Log.Text);
        Assert.Contains("upload_workers", w.Log.Lines.Last(l => l.Contains("refused", StringComparison.Ordinal)));
        s.Write("still-running.txt", "y");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "still-running.txt");
        Assert.True((await BucketAsync(s)).ContainsKey("two/still-running.txt"));
    }

    [Fact]
    public async Task Reload_follows_a_kubernetes_configmap_update()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("bucket_path: one");
        // Given the kubelet's layout: config.yml -> ..data/config.yml, ..data -> ..v1 (a folder with the real file).
        var yaml = File.ReadAllText(s.ConfigPath);
        Directory.CreateDirectory(Path.Combine(s.Root, "..v1"));
        File.WriteAllText(Path.Combine(s.Root, "..v1", "config.yml"), yaml);
        File.CreateSymbolicLink(Path.Combine(s.Root, "..data"), "..v1");
        File.Delete(s.ConfigPath);
        File.CreateSymbolicLink(s.ConfigPath, "..data/config.yml");
        await using var w = new WatchHarness(s, watchConfigFile: true);
        await w.StartAsync();
        var reloaded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        w.Service.Reloaded += ok => reloaded.TrySetResult(ok);

        // When the ConfigMap changes: a new folder, a new ..data_tmp link, renamed over ..data.
        Directory.CreateDirectory(Path.Combine(s.Root, "..v2"));
        File.WriteAllText(Path.Combine(s.Root, "..v2", "config.yml"), yaml.Replace("bucket_path: one", "bucket_path: two", StringComparison.Ordinal));
        File.CreateSymbolicLink(Path.Combine(s.Root, "..data_tmp"), "..v2");
        using (var mv = Process.Start("mv", ["-T", Path.Combine(s.Root, "..data_tmp"), Path.Combine(s.Root, "..data")])) // rename(2), as the kubelet
            await mv.WaitForExitAsync();

        // Then the new configuration is in force.
        Assert.True(await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        s.Write("new.txt", "n");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "new.txt");
        Assert.True((await BucketAsync(s)).ContainsKey("two/new.txt"));
    }

    [Fact]
    public async Task Stop_while_an_upload_runs_finishes_it_within_the_grace_period()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var w = new WatchHarness(s, store => new HookedStore(store)
        {
            BeforeUpload = async (key, ct) =>
            {
                if (!key.StartsWith("big", StringComparison.Ordinal)) return;
                started.TrySetResult();
                await release.Task.WaitAsync(ct);
            },
        });
        await w.StartAsync();
        var content = new byte[20 * MiB];
        new Random(7).NextBytes(content);

        s.Write("big.bin", content);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopping = w.StopAsync();
        release.SetResult();
        await stopping;

        Assert.Equal(content, await server.GetAsync(s.Bucket, "big.bin"));
        Assert.Empty(await ListOpenUploadsAsync(s));
    }

    [Fact]
    public async Task Stop_aborts_a_multipart_upload_that_outlives_the_grace_period()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var w = new WatchHarness(s, store => new HookedStore(store)
        {
            BeforeUpload = async (key, ct) =>
            {
                if (!key.StartsWith("big", StringComparison.Ordinal)) return;
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct); // a network that never answers
            },
        }, grace: TimeSpan.FromMilliseconds(200));
        await w.StartAsync();
        var content = new byte[20 * MiB];
        new Random(8).NextBytes(content);

        s.Write("big.bin", content);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await w.StopAsync();

        Assert.False((await BucketAsync(s)).ContainsKey("big.bin"));
        Assert.Empty(await ListOpenUploadsAsync(s));
        Assert.Contains("cancelling them (multipart uploads are aborted)", w.Log.Text);
    }

    [Fact]
    public async Task Watch_retries_a_failed_upload_until_it_succeeds()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var failures = 0;
        await using var w = new WatchHarness(s, store => new HookedStore(store)
        {
            BeforeUpload = (key, _) => key == "flaky.txt" && Interlocked.Increment(ref failures) <= 2
                ? throw new HttpRequestException("connection reset (injected)")
                : Task.CompletedTask,
        });
        await w.StartAsync();

        s.Write("flaky.txt", "eventually");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "flaky.txt");

        Assert.Equal(2, w.Count(WatchActivityKind.UploadFailed, "flaky.txt"));
        Assert.Equal("eventually", await TextAsync(s, "flaky.txt"));
        Assert.Contains("flaky.txt: upload failed (connection reset (injected)); trying again in 1 s", w.Log.Text);
        Assert.Contains("flaky.txt: upload failed (connection reset (injected)); trying again in 2 s", w.Log.Text);
    }

    [Fact]
    public async Task Watch_runs_a_full_sync_every_rescan_interval()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig(globals: "rescan_interval: 1");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 3);

        Assert.Equal(0, w.Count(WatchActivityKind.Overflow));
    }

    [Fact]
    public async Task Healthz_answers_503_while_a_rescan_after_lost_events_runs()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var lists = 0;
        var secondList = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var w = new WatchHarness(s, store => new HookedStore(store)
        {
            BeforeList = async ct =>
            {
                if (Interlocked.Increment(ref lists) < 2) return;
                secondList.TrySetResult();
                await release.Task.WaitAsync(ct);
            },
        });
        await w.StartAsync();
        Assert.True(w.Service.Healthy);

        w.Source.Inject(new ChangeEvent(ChangeKind.Overflow, s.Local, TimeProvider.System.GetTimestamp(), "injected overflow"));
        await secondList.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var during = w.Service.Healthy;
        release.SetResult();
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);

        Assert.False(during);
        Assert.True(w.Service.Healthy);
    }

    private async Task<List<MultipartUpload>> ListOpenUploadsAsync(Scenario s) =>
        (await server.Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = s.Bucket })).MultipartUploads ?? [];

    [Fact]
    public async Task Healthz_answers_503_until_the_initial_sync_is_done_then_200()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig();
        var listing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var w = new WatchHarness(s, store => new HookedStore(store)
        {
            BeforeList = async ct => { listing.TrySetResult(); await release.Task.WaitAsync(ct); },
        });
        await using var http = new StatusServer("127.0.0.1", 0, () => w.Service.Healthy, w.Service.Metrics.Render, w.Log);
        http.Start();
        await w.StartAsync(waitForInitialSync: false);
        await listing.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var (before, _) = await GetAsync(http.Port, "/healthz");
        release.SetResult();
        await w.WaitForAsync(WatchActivityKind.FullSyncDone);
        var (after, body) = await GetAsync(http.Port, "/healthz");
        var (missing, _) = await GetAsync(http.Port, "/nope");

        Assert.Equal(503, before);
        Assert.Equal(200, after);
        Assert.Equal("ok\n", body);
        Assert.Equal(404, missing);
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_the_original_gauge_names()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("one.txt", "12345");
        s.Write("two.txt", "1234567890");
        s.Config($"- name: www\n  local_path: {s.Local}\n  bucket: {s.Bucket}\n  retire_deleted: true\n");
        await using var w = new WatchHarness(s);
        await using var http = new StatusServer("127.0.0.1", 0, () => w.Service.Healthy, w.Service.Metrics.Render, w.Log);
        http.Start();
        await w.StartAsync();
        s.Write("three.txt", "abc");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "three.txt");
        File.Delete(Path.Combine(s.Local, "one.txt"));
        await w.WaitForAsync(WatchActivityKind.Deleted, "one.txt");

        var (status, text) = await GetAsync(http.Port, "/metrics");

        Assert.Equal(200, status);
        var samples = new Dictionary<string, double>();
        var types = new Dictionary<string, string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal)) { var p = line.Split(' '); types[p[2]] = p[3]; continue; }
            if (line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        Assert.Equal(15, samples["s3sync_data_total_size{site=\"www\"}"]);
        Assert.Equal(2, samples["s3sync_data_objects_count{site=\"www\"}"]);
        Assert.Equal(0, samples["s3sync_errors_count{site=\"www\"}"]);
        Assert.Equal(3, samples["s3sync_uploads_total{site=\"www\"}"]);
        Assert.Equal(1, samples["s3sync_deletes_total{site=\"www\"}"]);
        Assert.Equal(0, samples["s3sync_queue_depth{site=\"www\"}"]);
        Assert.Equal(1, samples["s3sync_watch_healthy{site=\"www\"}"]);
        Assert.InRange(samples["s3sync_last_full_sync_timestamp_seconds{site=\"www\"}"], DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(1, samples["s3sync_upload_delay_seconds_count{site=\"www\"}"]);
        Assert.Equal(1, samples["s3sync_upload_delay_seconds_bucket{site=\"www\",le=\"+Inf\"}"]);
        Assert.Equal("histogram", types["s3sync_upload_delay_seconds"]);
        Assert.Equal("gauge", types["s3sync_data_total_size"]);
    }

    private static async Task<(int Status, string Body)> GetAsync(int port, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var response = await new StreamReader(stream).ReadToEndAsync();
        var status = int.Parse(response.Split(' ')[1], CultureInfo.InvariantCulture);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    [Fact]
    public async Task Watch_with_symlinks_preserve_uploads_a_new_link_and_a_link_retargeted_by_ln_sfn()
    {
        // Given a site that keeps links, watched
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.txt", "b");
        s.SiteConfig("symlinks: preserve");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // When a link is made, and then retargeted as ln -sfn does (a new link under a temporary name, renamed over)
        File.CreateSymbolicLink(Path.Combine(s.Local, "current"), "a.txt");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "current");
        Assert.Equal("a.txt", await TextAsync(s, "current"));
        var before = w.Count(WatchActivityKind.Uploaded, "current");
        File.CreateSymbolicLink(Path.Combine(s.Local, "CUR.tmp"), "b.txt");
        File.Move(Path.Combine(s.Local, "CUR.tmp"), Path.Combine(s.Local, "current"), overwrite: true);
        await w.WaitForAsync(WatchActivityKind.Uploaded, "current", before + 1);

        // Then the object is the link as sync stores it (its target, and the target in its metadata), at once
        Assert.Equal("b.txt", await TextAsync(s, "current"));
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "current");
        Assert.Equal("b.txt", head.Metadata["x-amz-meta-s3sync-symlink"]);
        await BarrierAsync(w);
        Assert.DoesNotContain("CUR.tmp", (await BucketAsync(s)).Keys);
        var verify = await s.RunAsync("verify", "-c", s.ConfigPath);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Watch_with_symlinks_follow_uploads_what_a_new_link_leads_to_as_sync_does()
    {
        // Given a site that follows links, watched
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.txt", "bb");
        s.Write("docs/x.txt", "x");
        s.Write("../outside.txt", "secret");
        s.SiteConfig("symlinks: follow");
        await using var w = new WatchHarness(s);
        await w.StartAsync();
        var fullSyncs = w.Count(WatchActivityKind.FullSyncDone, null);

        // When a link to a file is made, retargeted by a rename (as ln -sfn does), a link leads out of local_path,
        // and a link to a folder is made
        File.CreateSymbolicLink(Path.Combine(s.Local, "current"), "a.txt");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "current");
        Assert.Equal("a", await TextAsync(s, "current"));
        var before = w.Count(WatchActivityKind.Uploaded, "current");
        File.CreateSymbolicLink(Path.Combine(s.Local, "CUR.tmp"), "b.txt");
        File.Move(Path.Combine(s.Local, "CUR.tmp"), Path.Combine(s.Local, "current"), overwrite: true);
        await w.WaitForAsync(WatchActivityKind.Uploaded, "current", before + 1);
        File.CreateSymbolicLink(Path.Combine(s.Local, "out.txt"), "../outside.txt");
        File.CreateSymbolicLink(Path.Combine(s.Local, "mirror"), "docs");
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, null, fullSyncs + 1);

        // Then the bucket holds what sync would: the file's content under the link's key (no link metadata), the
        // folder's files under the link's prefix, nothing for the link out of local_path
        Assert.Equal("bb", await TextAsync(s, "current"));
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "current");
        Assert.DoesNotContain(head.Metadata.Keys, k => k.Contains("symlink", StringComparison.Ordinal));
        Assert.Equal("x", await TextAsync(s, "mirror/x.txt"));
        await BarrierAsync(w);
        Assert.Equal(["a.txt", "b.txt", "current", "docs/x.txt", "mirror/x.txt", "zz-sentinel.txt"], await s.KeysAsync());
        var verify = await s.RunAsync("verify", "-c", s.ConfigPath);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Watch_with_folders_writes_and_deletes_folder_markers_as_sync_does()
    {
        // Given a site that keeps folders, watched
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("d/x.txt", "x");
        s.SiteConfig("folders: true\nretire_deleted: true");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // When an empty folder is made, the last file of a folder removed, and a folder with a subfolder removed
        Directory.CreateDirectory(Path.Combine(s.Local, "empty"));
        await w.WaitForAsync(WatchActivityKind.Uploaded, "empty/");
        File.Delete(Path.Combine(s.Local, "d", "x.txt"));
        await w.WaitForAsync(WatchActivityKind.ChangedInPlace, "d/");
        Directory.CreateDirectory(Path.Combine(s.Local, "gone", "sub"));
        await w.WaitForAsync(WatchActivityKind.Uploaded, "gone/sub/");
        Directory.Delete(Path.Combine(s.Local, "gone"), recursive: true);
        await w.WaitForAsync(WatchActivityKind.Deleted, "gone/");
        await BarrierAsync(w);

        // Then the bucket holds what sync would, and verify finds nothing to do
        Assert.Equal(["a.txt", "d/", "empty/", "zz-sentinel.txt"], await s.KeysAsync());
        var verify = await s.RunAsync("verify", "-c", s.ConfigPath);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }
}
