using System.Diagnostics;
using Amazon.S3.Model;
using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// The restore drill as the README gives it: its commands are read from README.md and run as written (only the config
/// path and /tmp/drill are replaced), so the test fails when the README drifts. Also: <c>restore --at</c> before the
/// oldest version, and the argument order the help of <c>restore</c> shows.
/// </summary>
[Collection("s3")]
public sealed class DrillTests(S3ServerFixture server)
{
    /// <summary>The s3sync commands of the README's drill block (the first sh block after "drill"), as words.</summary>
    private static List<string[]> ReadmeDrill()
    {
        var readme = File.ReadAllText(Path.Combine(S3ServerFixture.RepoRoot, "README.md"));
        var start = readme.IndexOf("```sh", readme.IndexOf("drill", StringComparison.OrdinalIgnoreCase), StringComparison.Ordinal) + 5;
        var end = readme.IndexOf("```", start, StringComparison.Ordinal);
        return [.. readme[start..end].Split('\n').Select(l => l.Split('#')[0].Trim()).Where(l => l.StartsWith("s3sync ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..])];
    }

    [Fact]
    public async Task The_readmes_drill_run_as_written_restores_and_verify_finds_0_differences()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("hosts", "127.0.0.1 localhost");
        s.Write("ssl/private/host.key", "key");
        s.Write("nginx/sites-available/default", "server {}");
        s.Write("editor.swp", "excluded");
        Directory.CreateDirectory(Path.Combine(s.Local, "apt/keyrings"));
        Directory.CreateDirectory(Path.Combine(s.Local, "nginx/sites-enabled"));
        File.CreateSymbolicLink(Path.Combine(s.Local, "nginx/sites-enabled/default"), "../sites-available/default");
        File.CreateSymbolicLink(Path.Combine(s.Local, "localtime"), "/usr/share/zoneinfo/UTC");
        Run("chmod", "0710", Path.Combine(s.Local, "ssl/private"));
        Run("touch", "-m", "-d", "2012-03-04 05:06:07.8 UTC", Path.Combine(s.Local, "ssl/private"));
        // The settings the ad-hoc verify did not know: storage class, links kept as links, a filter.
        s.Config($"- name: etc\n  local_path: {s.Local}\n  bucket: {s.Bucket}\n  bucket_path: etc\n  storage_class: STANDARD_IA\n  symlinks: preserve\n  folders: true\n  exclusions: ['\\.swp$']\n");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var drill = Path.Combine(s.Root, "drill");
        var commands = ReadmeDrill();
        Assert.Equal(["restore", "verify"], commands.Select(c => c[0]));

        foreach (var words in commands)
        {
            var run = await s.RunAsync([.. words.Select(w => w switch { "/etc/s3sync/config.yml" => s.ConfigPath, "/tmp/drill" => drill, _ => w })]);

            Assert.True(run.ExitCode == 0, string.Join(' ', words) + "\n" + run);
            if (words[0] == "verify") Assert.Contains("0 differences", run.Output);
        }
        Assert.Equal("../sites-available/default", new FileInfo(Path.Combine(drill, "nginx/sites-enabled/default")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(drill, "apt/keyrings")));
        Assert.Equal(Run("stat", "-c", "%a %y", Path.Combine(s.Local, "ssl/private")), Run("stat", "-c", "%a %y", Path.Combine(drill, "ssl/private")));
    }

    [Fact]
    public async Task Restore_at_a_time_before_the_oldest_version_names_that_version_and_exits_3()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.Client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = s.Bucket, VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled } });
        s.Write("a.txt", "v1");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var oldest = (await server.ListAsync(s.Bucket)).Min(o => o.LastModified!.Value).ToUniversalTime();
        var target = Path.Combine(s.Root, "then");

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--at", "2001-01-01T00:00:00Z");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains($"held nothing at 2001-01-01T00:00:00Z: its oldest version is from {oldest:yyyy-MM-ddTHH:mm:ssZ}", run.Output);
        Assert.False(File.Exists(Path.Combine(target, "a.txt")));
    }

    [Fact]
    public async Task Restore_help_shows_the_url_first_and_that_order_restores()
    {
        var output = new StringWriter();
        Assert.Equal(0, await Program.RunAsync(["restore", "--help"], output, new StringWriter()));
        Assert.Contains(" restore [<S3_URL> [<DIR>]] [options]", output.ToString());
        Assert.Contains("s3sync restore s3://backup/host1 /srv/restore", output.ToString());

        using var s = await Scenario.CreateAsync(server);
        s.Write("d/f.txt", "x");
        s.SiteConfig("bucket_path: host1");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restore");
        var env = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey, ["AWS_ENDPOINT_URL_S3"] = server.Endpoint };

        var run = await Binary.RunAsync(["restore", $"s3://{s.Bucket}/host1", target], env);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("x", File.ReadAllText(Path.Combine(target, "d/f.txt")));
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
