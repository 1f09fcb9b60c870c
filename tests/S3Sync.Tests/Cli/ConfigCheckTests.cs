using S3Sync.Cli;
using S3Sync.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace S3Sync.Tests.Cli;

/// <summary><c>s3sync config check</c> and the command-line errors of the ad-hoc form: no server needed.</summary>
public sealed class ConfigCheckTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-check-" + Guid.NewGuid().ToString("N")[..8]);

    public ConfigCheckTests() => Directory.CreateDirectory(Path.Combine(_root, "www"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WriteConfig(string yaml)
    {
        var path = Path.Combine(_root, "config.yml");
        File.WriteAllText(path, yaml.Replace("{root}", _root, StringComparison.Ordinal));
        // These files hold secrets: owner-only, as the warning for readable secrets asks (SecurityTests covers it).
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

    private const string TwoSites = """
        access_key: AKIAI44QH8DHBEXAMPLE
        secret_access_key: je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY
        sites:
        - name: www
          local_path: {root}/www
          bucket: my-bucket
          bucket_path: www
          exclusions: ['\.DS_Store$']
        - local_path: {root}/www
          bucket: backups
          access_key: SITEKEY
          secret_access_key: site-secret-value
          storage_class: STANDARD_IA
          retire_deleted: true
        """;

    [Fact]
    public async Task Config_check_prints_every_site_with_defaults_filled_in_and_exits_0()
    {
        var run = await Run("config", "check", "-c", WriteConfig(TwoSites));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("valid; 2 sites", run.Output);
        Assert.Contains("upload_workers: 32", run.Output);
        Assert.Contains("s3_ops_retries: 5", run.Output);
        Assert.Contains("- name: www", run.Output);
        Assert.Contains("- name: backups", run.Output);
        Assert.Contains("bucket_path: www  # s3://my-bucket/www/", run.Output);
        Assert.Contains("storage_class: STANDARD_IA", run.Output);
        Assert.Contains("retire_deleted: true", run.Output);
        Assert.Contains("max_delete: '50% (at least 20)'", run.Output);
        Assert.Contains(@"- '\.DS_Store$'", run.Output);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Config_check_masks_every_secret_and_long_access_keys()
    {
        var run = await Run("config", "check", "-c", WriteConfig(TwoSites));

        Assert.Equal(0, run.ExitCode);
        foreach (var secret in new[] { "je7MtGbClwBF", "site-secret-value", "AKIAI44QH8DHBEXAMPLE", "SITEKEY" })
            Assert.DoesNotContain(secret, run.Output + run.Error);
        Assert.Contains("access_key: '****************MPLE'", run.Output);
        Assert.Contains("access_key: '****'", run.Output);
        Assert.Contains("secret_access_key: '****'", run.Output);
    }

    [Fact]
    public async Task Config_check_output_is_yaml_with_the_files_keys()
    {
        var run = await Run("config", "check", "-c", WriteConfig(TwoSites));

        var stream = new YamlStream();
        stream.Load(new StringReader(run.Output));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var sites = (YamlSequenceNode)root.Children[new YamlScalarNode("sites")];
        Assert.Equal(2, sites.Children.Count);
        var first = (YamlMappingNode)sites.Children[0];
        Assert.Equal("my-bucket", first.Children[new YamlScalarNode("bucket")].ToString());
        Assert.Equal("www", first.Children[new YamlScalarNode("bucket_path")].ToString());
    }

    /// <summary>The keys in the first column of a table under <paramref name="heading"/> of docs/configuration.md.</summary>
    private static SortedSet<string> DocumentedKeys(string heading)
    {
        var lines = File.ReadAllLines(Path.Combine(S3ServerFixture.RepoRoot, "docs", "configuration.md"));
        var start = Array.IndexOf(lines, heading);
        Assert.True(start >= 0, $"docs/configuration.md has no '{heading}'");
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(start + 3).TakeWhile(l => l.StartsWith('|')))
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(line.Split('|')[1], "`([a-z0-9_]+)`"))
                keys.Add(m.Groups[1].Value);
        return keys;
    }

    [Fact]
    public async Task Config_check_prints_every_key_the_loader_accepts_and_the_docs_list()
    {
        // Given every key the loader accepts, each one the key list of docs/configuration.md has
        var global = new SortedSet<string>(S3Sync.Config.ConfigLoader.GlobalKeyNames, StringComparer.Ordinal);
        var site = new SortedSet<string>(S3Sync.Config.ConfigLoader.SiteKeyNames, StringComparer.Ordinal);
        global.Remove("sites");
        Assert.Equal(global, DocumentedKeys("### Global options"));
        Assert.Equal(site, DocumentedKeys("### Site options"));

        // When config check prints a configuration that sets none of them but the required ones
        var run = await Run("config", "check", "-c", WriteConfig("sites:\n- local_path: {root}/www\n  bucket: my-bucket\n"));

        // Then every site key is a key of the printed site, and every global key is a top-level key or, when a site
        // key of the same name (aws_region: bucket_region) carries it, a key of the site
        Assert.True(run.ExitCode == 0, run.ToString());
        var stream = new YamlStream();
        stream.Load(new StringReader(run.Output));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var printed = (YamlMappingNode)((YamlSequenceNode)root.Children[new YamlScalarNode("sites")]).Children[0];
        var missingSite = site.Where(k => !printed.Children.ContainsKey(new YamlScalarNode(k))).ToList();
        var missingGlobal = global.Where(k => !root.Children.ContainsKey(new YamlScalarNode(k))
            && !printed.Children.ContainsKey(new YamlScalarNode(k == "aws_region" ? "bucket_region" : k))).ToList();
        Assert.True(missingSite.Count == 0 && missingGlobal.Count == 0,
            $"config check does not print site keys [{string.Join(", ", missingSite)}], global keys [{string.Join(", ", missingGlobal)}]\n{run.Output}");
    }

    [Fact]
    public async Task Config_check_shows_the_timeout_flag_over_the_files_request_timeout()
    {
        var config = WriteConfig("request_timeout: 90\nsites:\n- local_path: {root}/www\n  bucket: my-bucket\n");

        var run = await Run("config", "check", "-c", config, "--timeout", "5");
        var bad = await Run("config", "check", "-c", config, "--timeout", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\nrequest_timeout: 5  # from --timeout\n", run.Output);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("s3sync: --timeout: must be a whole number of seconds from 1 to 3600, got '0'\n", bad.Error);
    }

    [Fact]
    public async Task Config_check_prints_backup_shard_and_link_keys_as_they_resolve()
    {
        var run = await Run("config", "check", "-c", WriteConfig("""
            shard: 1/4
            request_timeout: 90
            sites:
            - local_path: {root}/www
              bucket: my-bucket
              bucket_path: www
              create_bucket: true
              symlinks: preserve
              backup_path: backup/www
              backup_storage_class: GLACIER
              backup_keep: 30d
            """));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\nshard: 1/4\n", run.Output);
        Assert.Contains("\nrequest_timeout: 90\n", run.Output);
        Assert.Contains("\n  create_bucket: true\n", run.Output);
        Assert.Contains("\n  symlinks: preserve\n", run.Output);
        Assert.Contains("\n  backup_path: backup/www\n", run.Output);
        Assert.Contains("\n  backup_storage_class: GLACIER\n", run.Output);
        Assert.Contains("\n  backup_keep: 30d\n", run.Output);
    }

    [Fact]
    public async Task Config_check_exits_2_with_one_line_per_error_naming_file_line_and_key()
    {
        var path = WriteConfig("upload_workers: 0\nsites:\n- local_path: /d\n  bucket: b-1\n  storage_class: GLACIR\n");

        var run = await Run("config", "check", "-c", path);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Output);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"s3sync: {path}:1:1: upload_workers: must be at least 1, got 0", lines[0]);
        Assert.Equal($"s3sync: {path}:5:3: sites[0].storage_class: unknown storage class 'GLACIR' (did you mean 'GLACIER'?)", lines[1]);
    }

    [Fact]
    public async Task Config_check_warns_on_a_missing_local_path_but_stays_valid()
    {
        var run = await Run("config", "check", "-c", WriteConfig("sites:\n- local_path: /no/such/folder\n  bucket: b-1\n"));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("warning: site b-1: local_path /no/such/folder does not exist here", run.Error);
    }

    [Fact]
    public async Task Flags_override_the_file_in_the_selected_site_only_and_say_so()
    {
        var run = await Run("config", "check", "-c", WriteConfig(TwoSites), "--site", "www", "--storage-class", "ONEZONE_IA", "--delete", "--exclude", "tmp/*", "--include-regex", "^tmp/keep", "--endpoint", "http://127.0.0.1:9000");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("valid; 1 site", run.Output);
        Assert.DoesNotContain("backups", run.Output);
        Assert.Contains("storage_class: ONEZONE_IA  # from --storage-class", run.Output);
        Assert.Contains("retire_deleted: true  # from --delete", run.Output);
        Assert.Contains("endpoint: http://127.0.0.1:9000  # from --endpoint", run.Output);
        Assert.Contains("force_path_style: true", run.Output);
        Assert.Contains(@"- '\.DS_Store$'", run.Output);
        Assert.Contains("  #   --exclude 'tmp/*'\n  #   --include-regex '^tmp/keep'", run.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Ad_hoc_form_resolves_to_one_site_named_after_bucket_and_prefix()
    {
        var run = await Run("config", "check", Path.Combine(_root, "www"), "s3://my-bucket/a/b/", "--delete", "false", "--storage-class", "GLACIER_IR");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("# command line: valid; 1 site", run.Output);
        Assert.Contains("- name: my-bucket/a/b", run.Output);
        Assert.Contains($"local_path: {Path.Combine(_root, "www")}", run.Output);
        Assert.Contains("bucket_path: a/b  # s3://my-bucket/a/b/", run.Output);
        Assert.Contains("retire_deleted: false  # from --delete", run.Output);
        Assert.Contains("storage_class: GLACIER_IR", run.Output);
    }

    public static TheoryData<string[], string> CommandLineErrors => new()
    {
        { ["sync", "{root}/www", "s3://my-bucket", "--storage-class", "GLACIR"], "s3sync: --storage-class: unknown storage class 'GLACIR' (did you mean 'GLACIER'?)" },
        { ["sync", "{root}/www", "s3://Bad_Bucket/x"], "s3sync: s3://Bad_Bucket/x: 'Bad_Bucket' is not a valid bucket name (3-63 characters: lowercase letters, digits, '.', '-', '_')" },
        { ["sync", "{root}/www", "my-bucket"], "s3sync: 'my-bucket' is not an s3://BUCKET[/PREFIX] URL" },
        { ["sync", "{root}/www", "s3:///x"], "s3sync: 's3:///x' names no bucket; expected s3://BUCKET[/PREFIX]" },
        { ["sync", "{root}/www"], "s3sync: missing the destination after {root}/www: give s3://BUCKET[/PREFIX]" },
        { ["sync", "{root}/nope", "s3://my-bucket"], "s3sync: DIR: '{root}/nope' does not exist" },
        { ["verify", "{root}/www", "s3://my-bucket", "--exclude-regex", "(x"], "s3sync: --exclude-regex: invalid regular expression '(x': insufficient closing parentheses at offset 2" },
        { ["verify", "{root}/www", "s3://my-bucket", "--include", "[z-a]"], "s3sync: --include: invalid pattern '[z-a]': a character range in [] is in reverse order" },
        { ["verify", "{root}/www", "s3://my-bucket", "--exclude-from", "{root}/none.txt"], "s3sync: --exclude-from: {root}/none.txt: no such file" },
        { ["verify", "{root}/www", "s3://my-bucket", "--endpoint", "ftp://x"], "s3sync: --endpoint: 'ftp://x' is not an http:// or https:// URL" },
        { ["sync"], "s3sync: give -c FILE, or DIR s3://BUCKET[/PREFIX] (see --help)" },
        { ["sync", "-c", "{root}/config.yml", "{root}/www", "s3://my-bucket"], "s3sync: give either -c FILE or DIR s3://BUCKET[/PREFIX], not both" },
        { ["sync", "{root}/www", "s3://my-bucket", "--workers", "0"], "s3sync: --workers: must be a whole number from 1 to 1024, got '0'" },
    };

    [Theory]
    [MemberData(nameof(CommandLineErrors))]
    public async Task Command_line_errors_are_one_line_naming_the_flag_and_exit_2(string[] args, string expected)
    {
        var run = await Run([.. args.Select(a => a.Replace("{root}", _root, StringComparison.Ordinal))]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected.Replace("{root}", _root, StringComparison.Ordinal), run.Error.TrimEnd('\n'));
        Assert.Equal("", run.Output);
    }
}
