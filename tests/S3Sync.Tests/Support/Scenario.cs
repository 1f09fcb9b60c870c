using System.Text;
using S3Sync.Cli;

namespace S3Sync.Tests.Support;

/// <summary>The result of one run of the command line: exit code and both streams.</summary>
public sealed record RunResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>A temporary folder tree, a bucket on the test server and a config file joining them.</summary>
public sealed class Scenario : IDisposable
{
    private readonly S3ServerFixture _server;

    private Scenario(S3ServerFixture server, string bucket)
    {
        _server = server;
        Bucket = bucket;
        Root = Path.Combine(Path.GetTempPath(), "s3sync-test-" + Guid.NewGuid().ToString("N")[..10]);
        Local = Path.Combine(Root, "data");
        Directory.CreateDirectory(Local);
    }

    public string Root { get; }
    public string Local { get; }
    public string Bucket { get; }
    public string ConfigPath => Path.Combine(Root, "config.yml");

    /// <summary>The endpoint written into the config: the server's unless a test puts a proxy in front of it.</summary>
    public string? Endpoint { get; set; }

    /// <summary>s3_ops_retries written into the config.</summary>
    public int Retries { get; set; } = 2;

    /// <summary><c>upload_workers</c> in the config (a fixed level); null leaves it out: the adaptive default.</summary>
    public int? UploadWorkers { get; set; } = 4;

    public static async Task<Scenario> CreateAsync(S3ServerFixture server) => new(server, await server.NewBucketAsync());

    /// <summary>Writes a file under the local folder (folders created as needed) and returns its full path.</summary>
    public string Write(string relative, byte[] content)
    {
        var path = Path.Combine(Local, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string Write(string relative, string content) => Write(relative, Encoding.UTF8.GetBytes(content));

    /// <summary>Writes the config: global server settings plus the given site entries (YAML list items).</summary>
    /// <remarks>Each site gets <c>folders: false</c> unless the YAML says <c>folders:</c>: the scenarios written before
    /// folders were kept assert file keys, file counts and snapshots; folder markers have their own scenarios
    /// (<c>FolderScenarioTests</c>, <c>DrillTests</c>), which say <c>folders: true</c>.</remarks>
    public void Config(string sitesYaml, string globals = "")
    {
        if (!sitesYaml.Contains("folders:", StringComparison.Ordinal))
            sitesYaml = string.Join("\n", sitesYaml.Split('\n').SelectMany(l => l.StartsWith("- ", StringComparison.Ordinal) ? new[] { l, "  folders: false" } : [l]));
        File.WriteAllText(ConfigPath, $"""
            endpoint: {Endpoint ?? _server.Endpoint}
            access_key: {_server.AccessKey}
            secret_access_key: {_server.SecretKey}
            {(UploadWorkers is { } workers ? $"upload_workers: {workers}" : "")}
            s3_ops_retries: {Retries}
            state_dir: {Path.Combine(Root, "state")}
            {globals}
            sites:
            {sitesYaml}
            """);
    }

    /// <summary>One site: this scenario's folder to this scenario's bucket, with extra site keys.</summary>
    public void SiteConfig(string extra = "", string globals = "") =>
        Config($"- local_path: {Local}\n  bucket: {Bucket}\n" + string.Join("", extra.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l + "\n")), globals);

    /// <summary><see cref="SiteConfig"/>, then that site as s3sync loads it: for tests that drive the core directly.</summary>
    public S3Sync.Config.Site LoadSite(string extra = "")
    {
        SiteConfig(extra);
        return S3Sync.Config.ConfigLoader.LoadFile(ConfigPath).Sites[0];
    }

    public async Task<RunResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync([.. args.Select(a => a == "{config}" ? ConfigPath : a)], output, error);
        return new RunResult(code, output.ToString(), error.ToString());
    }

    public Task<RunResult> SyncAsync(params string[] extra) => RunAsync(["sync", "-c", ConfigPath, .. extra]);

    /// <summary>Runs <c>s3sync sync</c> as a child process; <paramref name="unprivileged"/> makes permission bits bind even for root.</summary>
    public Task<RunResult> SyncProcessAsync(bool unprivileged, params string[] extra) =>
        CliProcess.RunAsync(["sync", "-c", ConfigPath, .. extra], unprivileged);

    /// <summary>Every key the bucket holds, sorted by byte order.</summary>
    public async Task<List<string>> KeysAsync() => [.. (await _server.ListAsync(Bucket)).Select(o => o.Key).Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
