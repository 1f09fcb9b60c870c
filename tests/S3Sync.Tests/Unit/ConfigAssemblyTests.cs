using S3Sync.Config;

namespace S3Sync.Tests.Unit;

/// <summary>
/// <see cref="ConfigAssembly"/> without the command line: a file or the ad-hoc words, the flags, the filters and the
/// environment in, the configuration or one-line errors out. Precedence: flags over the file over the environment.
/// </summary>
public sealed class ConfigAssemblyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-assembly-").FullName;
    private readonly string _data;
    private readonly string _file;

    public ConfigAssemblyTests()
    {
        _data = Directory.CreateDirectory(Path.Combine(_root, "data")).FullName;
        _file = Path.Combine(_root, "config.yml");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>An environment of the given variables, HOME an empty folder (no shared AWS files), no profiles.</summary>
    private AwsEnvironment Environment(string variables = "")
    {
        var env = variables.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        env["HOME"] = _root;
        return new AwsEnvironment(name => env.GetValueOrDefault(name), _ => null);
    }

    private ConfigRequest FileRequest(string yaml, string variables = "")
    {
        File.WriteAllText(_file, yaml.Replace("DATA", _data, StringComparison.Ordinal));
        File.SetUnixFileMode(_file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return new ConfigRequest { ConfigPath = _file, Environment = Environment(variables) };
    }

    private const string OneSite = "sites:\n- name: www\n  local_path: DATA\n  bucket: b-1\n";

    public static TheoryData<string?, string?, string?, string?, string?> EndpointPrecedence => new()
    {
        // the file's endpoint, AWS_ENDPOINT_URL_S3, --endpoint; the endpoint the site gets, where it came from
        { null, null, null, null, null },
        { null, "http://env:1", null, "http://env:1", "AWS_ENDPOINT_URL_S3" },
        { "http://file:2", "http://env:1", null, "http://file:2", null },
        { "http://file:2", "http://env:1", "http://flag:3", "http://flag:3", "--endpoint" },
        { null, "http://env:1", "http://flag:3", "http://flag:3", "--endpoint" },
        { "http://file:2", null, null, "http://file:2", null },
    };

    [Theory]
    [MemberData(nameof(EndpointPrecedence))]
    public void Flags_win_over_the_file_which_wins_over_the_environment(string? file, string? env, string? flag, string? endpoint, string? origin)
    {
        var yaml = (file is null ? "" : $"endpoint: {file}\n") + OneSite;
        var request = FileRequest(yaml, env is null ? "" : $"AWS_ENDPOINT_URL_S3={env}") with { Flags = new SiteFlags { Endpoint = flag } };

        var result = ConfigAssembly.Load(request);

        Assert.Empty(result.Errors);
        Assert.Equal(endpoint, result.Config!.Sites[0].Endpoint);
        Assert.Equal(origin, result.Assembled!.Origin.GetValueOrDefault("sites[0].endpoint") ?? result.Assembled.Origin.GetValueOrDefault("endpoint"));
    }

    [Fact]
    public void File_and_overrides_set_the_selected_sites_only()
    {
        var yaml = OneSite + "  storage_class: STANDARD_IA\n- name: other\n  local_path: DATA\n  bucket: b-2\n";
        var request = FileRequest(yaml) with
        {
            Sites = ["www"],
            Flags = new SiteFlags { StorageClass = "GLACIER_IR", Delete = true, Metadata = ["team=web"], BandwidthLimit = "1MiB/s" },
        };

        var result = ConfigAssembly.Load(request);

        Assert.Empty(result.Errors);
        var site = Assert.Single(result.Config!.Sites);
        Assert.Equal(("www", "GLACIER_IR", true), (site.Name, site.StorageClass, site.RetireDeleted));
        Assert.Equal(1024 * 1024, result.Config.BandwidthLimit);
        Assert.Equal([0], result.Assembled!.Indices);
        Assert.Equal("--storage-class", result.Assembled.Origin["sites[0].storage_class"]);
    }

    public static TheoryData<string, string, string, string, string> AdHoc => new()
    {
        // first word, second word (DATA: the folder); local path, bucket, prefix
        { "DATA", "s3://b-1", "DATA", "b-1", "" },
        { "DATA", "s3://b-1/www/site", "DATA", "b-1", "www/site" },
        { "s3://b-1/www", "DATA", "DATA", "b-1", "www" },
        { "s3://b-1/www", "DATA/new", "DATA/new", "b-1", "www" },
    };

    [Theory]
    [MemberData(nameof(AdHoc))]
    public void The_ad_hoc_words_make_one_site(string source, string destination, string localPath, string bucket, string prefix)
    {
        var request = new ConfigRequest
        {
            Source = source.Replace("DATA", _data, StringComparison.Ordinal),
            Destination = destination.Replace("DATA", _data, StringComparison.Ordinal),
            Flags = new SiteFlags { StorageClass = "STANDARD_IA" },
            Environment = Environment(),
        };

        var result = ConfigAssembly.Load(request);

        Assert.Empty(result.Errors);
        Assert.Equal("command line", result.Config!.SourceFile);
        var site = Assert.Single(result.Config.Sites);
        Assert.Equal((localPath.Replace("DATA", _data, StringComparison.Ordinal), bucket, prefix, "STANDARD_IA"), (site.LocalPath, site.Bucket, site.Prefix, site.StorageClass));
    }

    [Fact]
    public void Filters_apply_in_command_line_order_after_the_files_own()
    {
        var request = FileRequest(OneSite + "  exclusions: ['\\.tmp$']\n") with
        {
            Filters = [new(FilterFlag.Exclude, "*.log"), new(FilterFlag.Include, "keep.log"), new(FilterFlag.IncludeRegex, "^a\\.tmp$")],
        };

        var filter = ConfigAssembly.Load(request).Config!.Sites[0].Filter;

        Assert.Equal((false, true, true, false, true), (filter.Includes("x.log"), filter.Includes("keep.log"), filter.Includes("a.tmp"), filter.Includes("b.tmp"), filter.Includes("x.txt")));
    }

    [Fact]
    public void Logging_flags_are_applied_by_load_not_by_resolve_and_the_timeout_by_both()
    {
        var request = FileRequest("loglevel: info\n" + OneSite) with { Timeout = "90", Verbose = true, LogFormat = "json" };

        var loaded = ConfigAssembly.Load(request).Assembled!;
        var resolved = ConfigAssembly.Resolve(request).Assembled!;

        Assert.Equal((90, LogVerbosity.Debug, true), (loaded.Config.RequestTimeout, loaded.Config.LogLevel, loaded.JsonLogs));
        // config check shows the timeout a run would use (attack on #27: it showed the file's)
        Assert.Equal((90, LogVerbosity.Info, false), (resolved.Config.RequestTimeout, resolved.Config.LogLevel, resolved.JsonLogs));
        Assert.Equal("--timeout", resolved.Origin["request_timeout"]);
        Assert.Equal(LogVerbosity.Warn, ConfigAssembly.Load(request with { Verbose = false, Quiet = true }).Config!.LogLevel);
        Assert.Equal(LogVerbosity.Warn, ConfigAssembly.Load(request with { LogLevel = "trace", Quiet = true }).Config!.LogLevel);
        Assert.Equal(LogVerbosity.Error, ConfigAssembly.Load(request with { LogLevel = "error", Quiet = true }).Config!.LogLevel);
    }

    public static TheoryData<string, string> Errors => new()
    {
        // the case; the one line ({file}: the config file, {data}: the folder, {classes}: the storage classes)
        { "both forms", "give either -c FILE or DIR s3://BUCKET[/PREFIX], not both" },
        { "neither form", "give -c FILE, or DIR s3://BUCKET[/PREFIX] (see --help)" },
        { "listing with neither", "give s3://BUCKET[/PREFIX], or -c FILE (see --help)" },
        { "missing url", "missing the destination after {data}: give s3://BUCKET[/PREFIX]" },
        { "missing folder", "missing the folder after s3://b-1: give DIR" },
        { "folder is a file", "DIR: '{file}' is a file, not a folder" },
        { "folder missing", "DIR: '{data}/none' does not exist" },
        { "symlink conflict", "--follow-symlinks and --symlinks preserve contradict each other: drop one" },
        { "unknown site", "{file}: --site: no site named 'nope' (sites: www)" },
        { "bad storage class flag", "--storage-class: unknown storage class 'FAST' (valid: {classes})" },
        { "bad timeout", "--timeout: must be a whole number of seconds from 1 to 3600, got '0'" },
        { "bad loglevel", "--loglevel: unknown log level 'loud' (valid: trace, debug, info, warn, error, fatal, panic)" },
        { "bad log format", "--log-format: 'xml' is not text or json" },
        { "bad workers", "--workers: must be a whole number from 1 to 1024, got '99999999999'" },
        { "bad max-delete", "--max-delete: MAXDELETE" },
        { "empty filter", "--exclude: empty pattern" },
        { "bad regex filter", "--include-regex: invalid regular expression '(': insufficient closing parentheses at offset 1" },
        { "exclude-from fifo", "--exclude-from: {data}/fifo: is a FIFO (named pipe), not a list of patterns" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void A_bad_request_is_one_line(string @case, string expected)
    {
        var good = FileRequest(OneSite);
        var adHoc = new ConfigRequest { Environment = good.Environment };
        var request = @case switch
        {
            "both forms" => good with { Source = _data, Destination = "s3://b-1" },
            "neither form" => adHoc,
            "listing with neither" => adHoc with { Listing = true },
            "missing url" => adHoc with { Source = _data },
            "missing folder" => adHoc with { Source = "s3://b-1" },
            "folder is a file" => adHoc with { Source = "s3://b-1", Destination = _file },
            "folder missing" => adHoc with { Source = Path.Combine(_data, "none"), Destination = "s3://b-1" },
            "symlink conflict" => good with { Flags = new SiteFlags { FollowSymlinks = true, Symlinks = "preserve" } },
            "unknown site" => good with { Sites = ["nope"] },
            "bad storage class flag" => good with { Flags = new SiteFlags { StorageClass = "FAST" } },
            "bad timeout" => good with { Timeout = "0" },
            "bad loglevel" => good with { LogLevel = "loud" },
            "bad log format" => good with { LogFormat = "xml" },
            "bad workers" => good with { Workers = "99999999999" },
            "bad max-delete" => good with { MaxDelete = "lots" },
            "empty filter" => good with { Filters = [new(FilterFlag.Exclude, "")] },
            "bad regex filter" => good with { Filters = [new(FilterFlag.IncludeRegex, "(")] },
            "exclude-from fifo" => good with { Filters = [new(FilterFlag.ExcludeFrom, Fifo())] },
            _ => throw new ArgumentException(@case),
        };

        var result = ConfigAssembly.Load(request);

        Assert.Null(result.Assembled);
        Assert.Equal(expected.Replace("{file}", _file, StringComparison.Ordinal).Replace("{data}", _data, StringComparison.Ordinal)
            .Replace("{classes}", string.Join(", ", ConfigLoader.StorageClasses), StringComparison.Ordinal).Replace("MAXDELETE", DeleteLimit.Problem("lots"), StringComparison.Ordinal), Assert.Single(result.Errors));
    }

    [Fact]
    public void Workers_and_max_delete_of_a_run_are_checked_and_applied()
    {
        var loaded = ConfigAssembly.Load(FileRequest(OneSite) with { Workers = "3", MaxDelete = "5" }).Assembled!;

        Assert.Equal((3, true), (loaded.Config.UploadWorkers, loaded.Config.WorkersFixed));
        Assert.Equal(DeleteLimit.TryParse("5", out var five) ? five : default, loaded.MaxDelete);
    }

    [Fact]
    public void A_readable_file_with_secrets_warns_and_still_loads()
    {
        var request = FileRequest("access_key: a\nsecret_access_key: s\n" + OneSite);
        File.SetUnixFileMode(_file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var result = ConfigAssembly.Load(request);

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Config);
        Assert.Equal($"warning: {_file} holds secret keys and is readable by its group (mode 640); run: chmod 600 {_file}", Assert.Single(result.Warnings));
    }

    private string Fifo()
    {
        var path = Path.Combine(_data, "fifo");
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        return path;
    }
}
