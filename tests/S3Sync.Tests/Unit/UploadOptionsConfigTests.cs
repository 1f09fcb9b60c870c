using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The upload keys of #15 (sse, acl, headers, bandwidth_limit, profile): global and site, the site winning.</summary>
public sealed class UploadOptionsConfigTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-upload-config-" + Guid.NewGuid().ToString("N")[..8]);

    public UploadOptionsConfigTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private SyncConfig Load(string yaml)
    {
        var path = Path.Combine(_root, "config.yml");
        File.WriteAllText(path, yaml);
        return ConfigLoader.LoadFile(path);
    }

    private string KeyFile(string name, byte[] content)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    [Fact]
    public void Site_keys_win_over_global_ones_and_unset_site_keys_inherit()
    {
        var config = Load("""
            sse: aws:kms
            sse_kms_key_id: alias/global
            acl: bucket-owner-full-control
            bandwidth_limit: 10MiB/s
            headers:
            - match: '\.html$'
              cache_control: max-age=60
            sites:
            - local_path: /a
              bucket: bucket-a
            - local_path: /b
              bucket: bucket-b
              sse: AES256
              acl: private
              headers:
              - match: '^assets/'
                cache_control: immutable
                metadata: {Team: web}
            """);

        var (a, b) = (config.Sites[0], config.Sites[1]);
        Assert.Equal(10L * 1024 * 1024, config.BandwidthLimit);
        Assert.Equal(EncryptionMode.Kms, a.Encryption.Mode);
        Assert.Equal("alias/global", a.Encryption.KmsKeyId);
        Assert.Equal("bucket-owner-full-control", a.Acl);
        Assert.Equal("max-age=60", a.Headers.For("x/index.html").CacheControl);
        Assert.Equal(EncryptionMode.S3, b.Encryption.Mode);
        Assert.Null(b.Encryption.KmsKeyId); // the site's encryption keys replace the global ones as a whole
        Assert.Equal("private", b.Acl);
        Assert.Null(b.Headers.For("x/index.html").CacheControl);
        Assert.Equal("immutable", b.Headers.For("assets/a.css").CacheControl);
        Assert.Equal("web", b.Headers.For("assets/a.css").Metadata["team"]);
    }

    [Fact]
    public void First_matching_rule_wins_and_the_content_type_falls_back_to_the_table()
    {
        var site = Load("""
            sites:
            - local_path: /a
              bucket: bucket-a
              headers:
              - match: '\.html$'
                content_type: text/html; charset=utf-8
              - match: '^docs/'
                cache_control: no-cache
            """).Sites[0];

        var html = UploadHeaders.For(site, "docs/index.html", "00");
        var css = UploadHeaders.For(site, "docs/site.css", "00");

        Assert.Equal("text/html; charset=utf-8", html.ContentType);
        Assert.Null(html.CacheControl);
        Assert.Equal("text/css", css.ContentType);
        Assert.Equal("no-cache", css.CacheControl);
        Assert.NotEqual(html.SettingsDigest, css.SettingsDigest);
        Assert.Equal("", UploadHeaders.For(site, "other.bin", "00").SettingsDigest);
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("base64")]
    [InlineData("hex")]
    public void Customer_key_is_read_raw_base64_or_hex_and_never_printed(string form)
    {
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var content = form switch
        {
            "raw" => key,
            "base64" => System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"),
            _ => System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(key) + "\n"),
        };
        var path = KeyFile("sse-c.key", content);

        var site = Load($"sites:\n- local_path: /a\n  bucket: bucket-a\n  sse_customer_key_file: {path}\n").Sites[0];

        Assert.Equal(EncryptionMode.Customer, site.Encryption.Mode);
        Assert.Equal(key, site.Encryption.CustomerKey.ToArray());
        Assert.DoesNotContain(Convert.ToBase64String(key), site.ToString());
        Assert.DoesNotContain(Convert.ToBase64String(key), site.Encryption.ToString());
        Assert.Contains(path, site.Encryption.ToString());
    }

    [Fact]
    public void A_relative_key_file_is_found_next_to_the_configuration()
    {
        KeyFile("site.key", new byte[32]);
        var site = Load("sites:\n- local_path: /a\n  bucket: bucket-a\n  sse_customer_key_file: site.key\n").Sites[0];
        Assert.Equal(Path.Combine(_root, "site.key"), site.Encryption.CustomerKeyFile);
    }

    public static TheoryData<string, string, string> Errors => new()
    {
        { "sse: aws:kmx\n", "1:1: sse", "unknown encryption 'aws:kmx'" },
        { "sse_kms_key_id: k\n", "1:1: sse_kms_key_id", "needs sse: aws:kms" },
        { "acl: public\n", "1:1: acl", "unknown canned ACL 'public'" },
        { "bandwidth_limit: 10 parsecs\n", "1:1: bandwidth_limit", "is not a rate" },
        { "bandwidth_limit: 10B/s\n", "1:1: bandwidth_limit", "below the smallest limit" },
        { "headers:\n- match: '(x'\n  cache_control: a\n", "2:3: headers[0].match", "invalid regular expression '(x'" },
        { "headers:\n- cache_control: a\n", "2:3: headers[0].match", "missing: each rule needs a match" },
        { "headers:\n- match: x\n", "2:3: headers[0]", "sets nothing" },
        { "headers:\n- match: x\n  metadata: {'bad name': v}\n", "3:14: headers[0].metadata.bad name", "is not a metadata name" },
        { "headers:\n- match: x\n  content_encoding: \"gz\\u00e9\"\n", "3:3: headers[0].content_encoding", "outside ASCII" },
        { "sse: AES256\nsse_customer_key_file: /nonexistent/k\n", "2:1: sse_customer_key_file", "exclude each other" },
        { "profile: 'two words'\n", "1:1: profile", "is not a profile name" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Bad_value_is_an_error_naming_line_and_key(string globals, string where, string message)
    {
        var e = Assert.Throws<ConfigException>(() => Load(globals + "sites:\n- local_path: /a\n  bucket: bucket-a\n"));
        var error = Assert.Single(e.Errors);
        Assert.Contains(where, error.ToString());
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("5MiB/s", 5L * 1024 * 1024)]
    [InlineData("500KB/s", 500_000)]
    [InlineData("1.5M", 1_572_864)]
    [InlineData("2048", 2048)]
    [InlineData("1GB", 1_000_000_000)]
    [InlineData("0", 0)]
    [InlineData("off", 0)]
    public void Rates_parse_in_both_unit_systems(string text, long expected)
    {
        Assert.True(ByteRate.TryParse(text, out var rate, out var why), why);
        Assert.Equal(expected, rate);
    }
}
