using System.Diagnostics;
using System.Text.Json;
using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// <c>s3sync ls -l</c>, <c>--json</c> and <c>--versions</c> against a server that lies: control characters and
/// terminal escapes in every field it sends (keys, version ids, storage classes, stored metadata), metadata that is not
/// a time or not text, a HEAD that never answers. Text stays one escaped line per entry, JSON stays JSON.
/// </summary>
public sealed class LsHostileServerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-lshostile-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>Keys sent URL-encoded (the only way XML can carry these bytes): newline, CR, tab, NUL, ESC, a C1 CSI.</summary>
    private static readonly string[] Keys = ["a\nb", "c\rd", "e\tf", "g\0h", "i\u001b[2Jj", "k\u009b31ml"];

    /// <summary>The versions page as S3 sends it: keys URL-encoded when the request asks for <c>encoding-type=url</c>,
    /// else as they are (XML 1.0 cannot carry NUL or ESC, and a raw CR reads back as LF).</summary>
    private static string VersionsPage(bool encoded) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>hang</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys>" + (encoded ? "<EncodingType>url</EncodingType>" : "") + "<IsTruncated>false</IsTruncated>"
        + string.Concat(Keys.Select((k, i) =>
            $"<Version><Key>{(encoded ? Uri.EscapeDataString(k) : System.Security.SecurityElement.Escape(k))}</Key><VersionId>v&#x9b;{i}</VersionId><IsLatest>true</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag><Size>0</Size><StorageClass>ST&#x9b;2J</StorageClass></Version>"))
        + "</ListVersionsResult>";

    /// <summary>Stored metadata as a hostile uploader leaves it: escapes raw and percent-encoded, an mtime past any
    /// file system (or not a number), Latin-1 bytes, a 16 KiB value.</summary>
    private static readonly Dictionary<string, string>[] Heads =
    [
        new() { ["x-amz-meta-mtime"] = "99999999999999", ["x-amz-meta-mode"] = "100644" },
        new() { ["x-amz-meta-mtime"] = "NaN", ["x-amz-meta-mode"] = "644" },
        new() { ["x-amz-meta-mtime"] = "-9223372035", ["x-amz-meta-mode"] = "120777", ["x-amz-meta-s3sync-symlink"] = "%1B%5D0%3Bpwned%07%0A%FF%ED%A0%80" },
        new() { ["x-amz-meta-mtime"] = "1700000000", ["x-amz-meta-mode"] = "644", ["x-amz-meta-uname"] = "\u00ff\u00fe", ["x-amz-meta-uid"] = "-1" },
        new() { ["x-amz-meta-mtime"] = "1700000000.5", ["x-amz-meta-mode"] = "4755", ["x-amz-meta-gname"] = new string('%', 16 << 10) },
        new() { ["x-amz-meta-mtime"] = "1700000000", ["x-amz-meta-mode"] = "644", ["x-amz-meta-s3sync-symlink"] = "\u00e9\u009b2J" },
    ];

    private string Config(string endpoint)
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, "config.yml");
        File.WriteAllText(path, $"""
            endpoint: {endpoint}
            access_key: MISBEHAVINGACCESSKEY
            secret_access_key: misbehaving-secret-key-000000000000000000
            s3_ops_retries: 0
            sites:
            - local_path: {_root}
              bucket: hang
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static async Task<RunResult> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync(args, output, error);
        return new RunResult(code, output.ToString(), error.ToString());
    }

    private static Misbehaviour Answer(string method, string target)
    {
        if (method == "GET" && target.Contains("versions", StringComparison.Ordinal)) return new Misbehaviour.Answer(200, VersionsPage(target.Contains("encoding-type=url", StringComparison.Ordinal)));
        // HEAD /hang/KEY?versionId=v<CSI>N: the N-th hostile metadata
        var n = target[^1] - '0';
        return new Misbehaviour.Object([], Heads[n]);
    }

    [Fact(Timeout = 120_000)]
    public async Task Ls_long_versions_prints_every_hostile_field_escaped_one_line_per_entry()
    {
        using var server = new MisbehavingServer(Answer);
        var config = Config(server.Endpoint);

        var run = await Run("ls", "-c", config, "--versions", "-l");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Keys.Length, lines.Length);
        Assert.All(run.Output.Replace("\n", "", StringComparison.Ordinal), c => Assert.False(char.IsControl(c), $"control character U+{(int)c:X4} in {run.Output}"));
        Assert.Contains(@"a\nb", lines[0]);
        Assert.Contains(@"g\x00h", lines[3]);
        Assert.Contains(@"ST\x9b2J", lines[0]);
        Assert.Contains(@"v\x9b0", lines[0]);
        Assert.Contains(@"-> \x1b]0;pwned\x07\n%FF%ED%A0%80", lines[2]);
        Assert.Equal("", run.Error);
    }

    [Fact(Timeout = 120_000)]
    public async Task Ls_json_versions_stays_json_with_every_hostile_field_exact()
    {
        using var server = new MisbehavingServer(Answer);
        var config = Config(server.Endpoint);

        var run = await Run("ls", "-c", config, "--versions", "-l", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Keys.Length, lines.Length);
        var docs = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Keys, docs.Select(d => d.GetProperty("key").GetString()));
        Assert.Equal("v\u009b0", docs[0].GetProperty("version_id").GetString());
        Assert.Equal("ST\u009b2J", docs[0].GetProperty("storage_class").GetString());
        Assert.StartsWith("\u001b]0;pwned\u0007\n", docs[2].GetProperty("link_target").GetString(), StringComparison.Ordinal);
        Assert.Equal("", run.Error);
    }

    [Fact(Timeout = 120_000)]
    public async Task Ls_long_with_a_head_that_never_answers_fails_in_one_line_with_exit_3()
    {
        using var server = new MisbehavingServer((method, target) =>
            method == "HEAD" ? new Misbehaviour.Silence() : new Misbehaviour.Answer(200, VersionsPage(encoded: true)));
        var config = Config(server.Endpoint);

        var clock = Stopwatch.StartNew();
        var run = await Run("ls", "-c", config, "--versions", "-l", "--timeout", "2");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("", run.Output);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("s3sync: ls s3://hang/: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), clock.Elapsed.ToString());
    }
}
