using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>At the default level, sync names every action, one line each, with the key relative to the site's
/// prefix for uploads, copies and deletes alike; -v and -vv are debug and trace.</summary>
[Collection("s3")]
public sealed class ActionLineTests(S3ServerFixture server)
{
    private Dictionary<string, string> Env() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
        ["AWS_ENDPOINT_URL_S3"] = server.Endpoint,
    };

    private static List<string> Actions(string stderr) =>
        [.. stderr.Split('\n').Select(l => l.IndexOf(" s3sync[0] ", StringComparison.Ordinal) is var i and >= 0 ? l[(i + 11)..] : "")
            .Where(l => l.StartsWith("upload: ", StringComparison.Ordinal) || l.StartsWith("delete: ", StringComparison.Ordinal) || l.StartsWith("copy: ", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Sync_logs_one_line_per_upload_delete_and_copy_with_relative_keys()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("docs/a.txt", "a");
        var old = s.Write("old.txt", "old");
        string[] target = ["sync", s.Local, $"s3://{s.Bucket}/www"];

        var first = await Binary.RunAsync(target, Env());
        File.Delete(old);
        var second = await Binary.RunAsync([.. target, "--delete"], Env());
        var third = await Binary.RunAsync([.. target, "--storage-class", "STANDARD_IA"], Env());

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(["upload: docs/", "upload: docs/a.txt", "upload: old.txt"], Actions(first.Error)); // docs/: the folder's marker
        Assert.Equal(["delete: old.txt"], Actions(second.Error));
        Assert.Equal(["copy: docs/ (STANDARD_IA)", "copy: docs/a.txt (STANDARD_IA)"], Actions(third.Error));
    }

    [Fact]
    public async Task Quiet_names_no_action_and_verbose_shows_debug_lines()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.txt", "b");

        var quiet = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/q", "-q"], Env());
        var verbose = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/v", "-v"], Env());
        var trace = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/t", "-vv"], Env());
        var info = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/i"], Env());

        Assert.Equal("", quiet.Error);
        Assert.Contains(" dbug: ", verbose.Error);
        Assert.Contains(" dbug: ", trace.Error);
        Assert.Equal(["upload: a.txt", "upload: b.txt"], Actions(trace.Error));
        Assert.DoesNotContain(" dbug: ", info.Error);
    }
}
