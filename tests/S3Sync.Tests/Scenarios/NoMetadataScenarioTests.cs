using System.Diagnostics;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// <c>metadata: false</c> and <c>--no-metadata</c> (a website): no mode, owner or mtime stored or compared, so a build
/// that touches every file (every static-site generator does) writes nothing. Counted on the wire by a proxy.
/// </summary>
[Collection("s3")]
public sealed class NoMetadataScenarioTests(S3ServerFixture server)
{
    private static readonly string[] Pages = ["index.html", "about/index.html", "css/site.css", "img/logo.svg"];

    private static void Build(Scenario s)
    {
        foreach (var page in Pages) s.Write(page, "content of " + page);
    }

    /// <summary>Every page touched and one chmod'ed, as a rebuild does.</summary>
    private static void Rebuild(Scenario s)
    {
        foreach (var page in Pages) Run("touch", "-m", "-d", "2030-01-02 03:04:05.6 UTC", Path.Combine(s.Local, page));
        Run("chmod", "0600", Path.Combine(s.Local, "index.html"));
    }

    private static int Writes(FaultProxy proxy) => proxy.Requests.Count(r => r.Method is "PUT" or "POST" or "DELETE");

    [Fact]
    public async Task With_metadata_false_a_touch_of_every_file_and_a_chmod_make_no_request_that_writes()
    {
        using var proxy = new FaultProxy(server.Endpoint);
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        Build(s);
        s.SiteConfig("metadata: false\nretire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "index.html");
        Assert.Null(head.Metadata["mtime"]);
        Assert.Null(head.Metadata["mode"]);
        Assert.Null(head.Metadata["uid"]);
        Rebuild(s);
        proxy.Requests.Clear();

        var sync = await s.SyncAsync();

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(0, Writes(proxy));
        Assert.Contains("uploaded 0 files", sync.Output);
        var verify = await s.RunAsync("verify", "-c", s.ConfigPath, "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task The_no_metadata_flag_does_the_same_for_a_site_that_stored_metadata_before()
    {
        using var proxy = new FaultProxy(server.Endpoint);
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        Build(s);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Rebuild(s);
        proxy.Requests.Clear();

        var sync = await s.SyncAsync("--no-metadata");

        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(0, Writes(proxy));
        // Without the flag the same rebuild rewrites the changed metadata in place (the contrast).
        var plain = await s.SyncAsync();
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.True(Writes(proxy) >= Pages.Length, string.Join("\n", proxy.Requests.Select(r => r.Method + " " + r.Target)));
    }

    private static string Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
        return text;
    }
}
