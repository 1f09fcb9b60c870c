using System.Text.Json;
using S3Sync.Config;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// <c>--shard K/N</c> against the real server, N processes side by side, each through its own recording proxy: together
/// they make exactly one full sync, each asks only for its own folders (and the top level's names once), and a deletion
/// in one shard's part is made by that shard alone.
/// </summary>
[Collection("s3")]
public sealed class ShardScenarioTests(S3ServerFixture server)
{
    private const int N = 3;

    private static List<string> Tree() =>
    [
        .. Enumerable.Range(0, 12).SelectMany(d => Enumerable.Range(0, 4).Select(i => $"dir{d:00}/sub/f{i}.txt")),
        .. Enumerable.Range(0, 6).Select(i => $"root{i}.txt"),
    ];

    /// <summary>The query parameters of a request target, decoded.</summary>
    private static Dictionary<string, string> Query(string target)
    {
        var q = target.IndexOf('?', StringComparison.Ordinal);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (q < 0) return result;
        foreach (var pair in target[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            result[Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }
        return result;
    }

    private static async Task<RunResult[]> RunShardsAsync(IReadOnlyList<string> configs, params string[] extra) =>
        await Task.WhenAll(Enumerable.Range(0, N).Select(k =>
            CliProcess.RunAsync(["sync", "-c", configs[k], "--shard", $"{k}/{N}", "--json", .. extra], timeout: TimeSpan.FromSeconds(120))));

    private static List<JsonElement> Actions(RunResult run, string action) =>
        [.. run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "action" && e.GetProperty("action").GetString() == action)];

    [Fact]
    public async Task Shards_side_by_side_make_one_full_sync_and_each_asks_only_for_its_own_part()
    {
        using var s = await Scenario.CreateAsync(server);
        foreach (var path in Tree()) s.Write(path, $"content of {path}");
        var proxies = Enumerable.Range(0, N).Select(_ => new FaultProxy(server.Endpoint)).ToList();
        var configs = new List<string>();
        try
        {
            for (var k = 0; k < N; k++)
            {
                s.Endpoint = proxies[k].Endpoint;
                s.SiteConfig("bucket_path: site\nretire_deleted: true\nmax_delete: unlimited");
                var config = Path.Combine(s.Root, $"config-{k}.yml");
                File.Copy(s.ConfigPath, config);
                configs.Add(config);
            }

            // When the N shards sync side by side
            var runs = await RunShardsAsync(configs);

            // Then together they made one full sync: every file once, by the shard that owns it
            foreach (var run in runs) Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(Tree().Select(p => "site/" + p).Order(StringComparer.Ordinal), await s.KeysAsync());
            var uploaded = runs.SelectMany((r, k) => Actions(r, "upload").Select(a => (Key: a.GetProperty("key").GetString()!, Shard: k))).ToList();
            Assert.Equal(Tree().Order(StringComparer.Ordinal), uploaded.Select(u => u.Key).Order(StringComparer.Ordinal));
            foreach (var (key, k) in uploaded) Assert.Equal(k, Shard.Of(key, N));

            // and each asked only under its own prefixes: the top level once (names only), then its own folders
            for (var k = 0; k < N; k++)
            {
                var shard = new Shard(k, N);
                var lists = proxies[k].Requests.Where(r => r.Method == "GET" && Query(r.Target).ContainsKey("list-type")).Select(r => Query(r.Target)).ToList();
                Assert.NotEmpty(lists);
                foreach (var q in lists)
                {
                    var prefix = q.GetValueOrDefault("prefix", "");
                    Assert.StartsWith("site/", prefix);
                    if (prefix == "site/") Assert.Equal("/", q.GetValueOrDefault("delimiter")); // the top level's names, never its keys below
                    else Assert.True(shard.Owns(prefix["site/".Length..]), $"shard {shard} listed {prefix}");
                }
                foreach (var put in proxies[k].Requests.Where(r => r.Method == "PUT"))
                {
                    var key = Uri.UnescapeDataString(put.Target.Split('?')[0]).Split('/', 3)[2];
                    Assert.True(shard.Owns(key["site/".Length..]), $"shard {shard} wrote {key}");
                }
            }

            // and each kept its state in a folder of its own (hash cache, ledgers)
            for (var k = 0; k < N; k++) Assert.True(Directory.Exists(Path.Combine(s.Root, "state", $"shard-{k}-of-{N}")));

            // When a file of one folder is deleted and every shard runs again
            const string gone = "dir05/sub/f2.txt";
            File.Delete(Path.Combine(s.Local, gone));
            foreach (var p in proxies) p.Requests.Clear();
            runs = await RunShardsAsync(configs);

            // Then the shard that owns it deleted it, alone; the others made no change at all
            var owner = Shard.Of(gone, N);
            for (var k = 0; k < N; k++)
            {
                Assert.True(runs[k].ExitCode == 0, runs[k].ToString());
                var deletes = Actions(runs[k], "delete");
                if (k == owner) Assert.Equal(gone, Assert.Single(deletes).GetProperty("key").GetString());
                else Assert.Empty(deletes);
                Assert.Equal(k == owner ? 1 : 0, proxies[k].Requests.Count(r => r.Method is "POST" or "DELETE"));
                Assert.DoesNotContain(proxies[k].Requests, r => r.Method == "PUT");
            }
            Assert.DoesNotContain("site/" + gone, await s.KeysAsync());
        }
        finally
        {
            foreach (var p in proxies) p.Dispose();
        }
    }

    [Fact]
    public async Task Verify_and_restore_take_a_shard_too_and_see_only_its_part()
    {
        using var s = await Scenario.CreateAsync(server);
        foreach (var path in Tree()) s.Write(path, $"content of {path}");
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        const string changed = "dir07/sub/f1.txt";
        s.Write(changed, "changed");
        var owner = Shard.Of(changed, N);

        // verify: the owner sees the difference, the other shards are in sync
        for (var k = 0; k < N; k++)
        {
            var verify = await s.RunAsync("verify", "-c", s.ConfigPath, "--shard", $"{k}/{N}", "--json");
            Assert.True(verify.ExitCode == (k == owner ? 1 : 0), verify.ToString());
        }

        // restore --to: each shard brings back only its own part; together, the whole tree
        var target = Path.Combine(s.Root, "restored");
        for (var k = 0; k < N; k++)
        {
            var part = Path.Combine(target, $"part{k}");
            var restore = await s.RunAsync("restore", "-c", s.ConfigPath, "--shard", $"{k}/{N}", "--to", part);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            var files = Directory.GetFiles(part, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(part, f)).ToList();
            Assert.All(files, f => Assert.Equal(k, Shard.Of(f, N)));
            Assert.Equal(Tree().Count(p => Shard.Of(p, N) == k), files.Count);
        }
    }

    [Fact]
    public async Task Delete_excluded_never_deletes_another_shards_keys()
    {
        using var s = await Scenario.CreateAsync(server);
        foreach (var path in Tree()) s.Write(path, $"content of {path}");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var all = await s.KeysAsync();

        // Every shard with --delete-excluded: the keys of the other shards are not "excluded", they are not this run's
        for (var k = 0; k < N; k++)
        {
            var run = await s.SyncAsync("--shard", $"{k}/{N}", "--delete-excluded", "--exclude", "root0.txt");
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        // Only the excluded file went, and only its own shard deleted it
        Assert.Equal(all.Where(k => k != "root0.txt"), await s.KeysAsync());
    }

    [Fact]
    public async Task A_bad_shard_is_one_line_and_exit_2_and_watch_refuses_a_shard()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var flag = await s.SyncAsync("--shard", "4/4");
        Assert.Equal(2, flag.ExitCode);
        Assert.Equal("s3sync: --shard: '4/4': K counts from 0, so it must be 0 to 3", flag.Error.Trim());

        s.SiteConfig(globals: "shard: 1/x");
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var key = await s.SyncAsync();
        Assert.Equal(2, key.ExitCode);
        Assert.Contains("shard", key.Error);
        Assert.Contains("'1/x' is not K/N", key.Error);
        Assert.Single(key.Error.Trim().Split('\n'));

        s.SiteConfig(globals: "shard: 1/2");
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var watch = await s.RunAsync("watch", "-c", s.ConfigPath);
        Assert.Equal(2, watch.ExitCode);
        Assert.Contains("watch takes the whole of each site", watch.Error);
    }
}
