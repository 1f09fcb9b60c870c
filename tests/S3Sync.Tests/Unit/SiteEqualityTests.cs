using S3Sync.Config;
using S3Sync.Watching;

namespace S3Sync.Tests.Unit;

/// <summary>A reload keeps a site running when its settings are equal to the running one's: equality must see every
/// key that changes behaviour, and an identical reparse must be equal (regexes, header rules and the SSE-C key have
/// no value equality of their own).</summary>
public sealed class SiteEqualityTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-site-equality-" + Guid.NewGuid().ToString("N")[..8]);

    public SiteEqualityTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Every site key, one per line, so a row can change one alone.</summary>
    private static readonly string[] BaseKeys =
    [
        "name: www",
        "local_path: /data/www",
        "bucket: bucket-a",
        "bucket_path: www",
        "bucket_region: eu-west-1",
        "endpoint: http://127.0.0.1:9000",
        "force_path_style: true",
        "access_key: AKIAEXAMPLE",
        "secret_access_key: secret-one",
        "exclusions: ['\\.tmp$', '^cache/']",
        "inclusions: ['^public/']",
        "headers: [{match: '\\.html$', cache_control: max-age=60, metadata: {team: web}}]",
        "sse_customer_key_file: {key}",
        "acl: private",
        "storage_class: STANDARD",
        "max_delete: 10",
        "retire_deleted: false",
        "symlinks: skip",
        "watch_interval: 1000",
        "profile: web",
    ];

    public static TheoryData<string, string, string> Changes => new()
    {
        { "exclusions", "exclusions: ['\\.tmp$', '^cache/', '^private/']", "exclusions/inclusions" },
        { "exclusions order", "exclusions: ['^cache/', '\\.tmp$']", "exclusions/inclusions" },
        { "inclusions", "inclusions: ['^public/', '^docs/']", "exclusions/inclusions" },
        { "headers rule pattern", "headers: [{match: '\\.htm$', cache_control: max-age=60, metadata: {team: web}}]", "headers" },
        { "headers rule value", "headers: [{match: '\\.html$', cache_control: max-age=61, metadata: {team: web}}]", "headers" },
        { "headers metadata", "headers: [{match: '\\.html$', cache_control: max-age=60, metadata: {team: ops}}]", "headers" },
        { "sse", "sse: AES256", "sse" },
        { "acl", "acl: public-read", "acl" },
        { "storage_class", "storage_class: STANDARD_IA", "storage_class" },
        { "max_delete", "max_delete: 11", "max_delete" },
        { "retire_deleted", "retire_deleted: true", "retire_deleted" },
        { "symlinks", "symlinks: preserve", "symlinks" },
        { "endpoint", "endpoint: http://127.0.0.1:9001", "endpoint" },
        { "force_path_style", "force_path_style: false", "force_path_style" },
        { "bucket_region", "bucket_region: eu-west-2", "bucket_region" },
        { "access_key", "access_key: AKIAOTHER", "credentials" },
        { "secret_access_key", "secret_access_key: secret-two", "credentials" },
        { "profile", "profile: ops", "profile" },
        { "watch_interval", "watch_interval: 500", "watch_interval" },
        { "bucket", "bucket: bucket-b", "bucket" },
        { "bucket_path", "bucket_path: www2", "bucket_path" },
        { "local_path", "local_path: /data/www2", "local_path" },
        { "name", "name: web", "name" },
    };

    private Site Load(IEnumerable<string> keys, string? keyFile = null)
    {
        var key = keyFile ?? KeyFile("sse-c.key", 1);
        var path = Path.Combine(_root, "config.yml");
        var lines = keys.Select(k => k.Replace("{key}", key, StringComparison.Ordinal))
            .Select((k, i) => (i == 0 ? "- " : "  ") + k);
        File.WriteAllText(path, "sites:\n" + string.Join("\n", lines) + "\n");
        return ConfigLoader.LoadFile(path).Sites[0];
    }

    private string KeyFile(string name, byte fill)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllBytes(path, Enumerable.Repeat(fill, 32).ToArray());
        return path;
    }

    [Fact]
    public void An_identical_reparse_is_unchanged()
    {
        var a = Load(BaseKeys);
        var b = Load(BaseKeys);

        Assert.NotSame(a.Filter, b.Filter);
        Assert.Equal(a, b);
        Assert.Empty(a.ChangedKeys(b));
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public void Each_key_changed_alone_makes_the_site_changed(string key, string line, string named)
    {
        var a = Load(BaseKeys);
        var prefix = line[..(line.IndexOf(':', StringComparison.Ordinal) + 1)];
        // sse and sse_customer_key_file exclude each other: changing the mode replaces the key file's line.
        var replaced = prefix == "sse:" ? "sse_customer_key_file:" : prefix;
        var b = Load(BaseKeys.Select(k => k.StartsWith(replaced, StringComparison.Ordinal) ? line : k));

        Assert.True(!a.Equals(b), key);
        Assert.Equal([named], a.ChangedKeys(b));
    }

    [Fact]
    public void The_customer_key_file_counts_by_its_content_not_its_path()
    {
        var a = Load(BaseKeys, KeyFile("one.key", 1));
        var samePathNewContent = Load(BaseKeys, KeyFile("one.key", 2));
        var otherPathSameContent = Load(BaseKeys, KeyFile("two.key", 1));

        Assert.NotEqual(a, samePathNewContent);
        Assert.Equal(["sse"], a.ChangedKeys(samePathNewContent));
        Assert.Equal(a, otherPathSameContent);
    }

    [Fact]
    public void Command_line_filter_rules_compare_by_pattern()
    {
        var a = Load(BaseKeys);
        var b = Load(BaseKeys);
        Assert.Equal(a with { Filter = a.Filter.WithRules([FilterRule.Glob(false, "--exclude", "*.log")]) },
            b with { Filter = b.Filter.WithRules([FilterRule.Glob(false, "--exclude", "*.log")]) });
        Assert.NotEqual(a with { Filter = a.Filter.WithRules([FilterRule.Glob(false, "--exclude", "*.log")]) },
            b with { Filter = b.Filter.WithRules([FilterRule.Glob(true, "--include", "*.log")]) });
    }

    public static TheoryData<string, string?> Shared => new()
    {
        { "", null },
        { "upload_workers: 9", "upload_workers" },
        { "upload_queue_buffer: 50", "upload_queue_buffer" },
        { "s3_ops_retries: 1", "s3_ops_retries" },
        { "request_timeout: 12", "request_timeout" },
        { "rescan_interval: 60", "rescan_interval" },
        // Applied without a restart (bandwidth_limit), at the next start (state_dir, http_*) or kept (loglevel).
        { "bandwidth_limit: 1MiB/s", null },
        { "state_dir: /tmp/elsewhere", null },
        { "http_port: 9351", null },
        { "loglevel: debug", null },
    };

    [Theory]
    [MemberData(nameof(Shared))]
    public void A_shared_setting_that_changed_is_named(string global, string? named)
    {
        var path = Path.Combine(_root, "config.yml");
        File.WriteAllText(path, "sites:\n- local_path: /data/www\n  bucket: bucket-a\n");
        var a = ConfigLoader.LoadFile(path);
        File.WriteAllText(path, global + "\nsites:\n- local_path: /data/www\n  bucket: bucket-a\n");
        var b = ConfigLoader.LoadFile(path);

        Assert.Equal(named, WatchService.SharedChange(a, b));
        Assert.Equal(a.Sites[0], b.Sites[0]);
    }
}
