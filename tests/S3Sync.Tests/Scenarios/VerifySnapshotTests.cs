using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// The verify report of a fixed tree with fixed contents, text and JSON Lines, against the committed snapshots.
/// Keys, sizes, ETags and storage classes are stable; durations, the bucket name and the temp folder are scrubbed.
/// </summary>
[Collection("s3")]
public sealed class VerifySnapshotTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    /// <summary>Two sites in one bucket holding every line kind: www (retire_deleted) and archive (keeps).</summary>
    private async Task<Scenario> FixedTreeAsync()
    {
        var s = await Scenario.CreateAsync(server);
        var archive = Path.Combine(s.Root, "archive");
        Directory.CreateDirectory(archive);
        byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
        var video = TestData.Bytes(13 * MiB, 7);

        // Local side.
        s.Write("index.html", "<h1>s3sync</h1>\n");                     // =
        s.Write("css/site.css", "body { color: #111; }\n");             // * content differs
        s.Write("docs/guide.txt", "A longer guide than before.\n");     // * size differs
        s.Write("docs/class.txt", "kept in the wrong class\n");         // * storage class
        s.Write("img/logo.svg", "<svg/>\n");                            // + missing
        s.Write("media/video.bin", video);                              // ? 3 parts of 6 MB (decimal)
        s.Write("unicode/ünïcødé.txt", "ü\n");                          // =
        File.WriteAllText(Path.Combine(archive, "a.txt"), "a\n");       // =

        // Remote side.
        await server.PutAsync(s.Bucket, "www/index.html", Utf8("<h1>s3sync</h1>\n"));
        await server.PutAsync(s.Bucket, "www/css/site.css", Utf8("body { color: #222; }\n"));
        await server.PutAsync(s.Bucket, "www/docs/guide.txt", Utf8("A short guide.\n"));
        await server.PutAsync(s.Bucket, "www/docs/class.txt", Utf8("kept in the wrong class\n"), "STANDARD_IA");
        await server.PutMultipartAsync(s.Bucket, "www/media/video.bin", video, 6_000_000);
        await server.PutAsync(s.Bucket, "www/old/removed.txt", Utf8("removed locally\n"));   // -
        await server.PutAsync(s.Bucket, "www/unicode/ünïcødé.txt", Utf8("ü\n"));
        await server.PutAsync(s.Bucket, "archive/a.txt", Utf8("a\n"));
        await server.PutAsync(s.Bucket, "archive/kept.txt", Utf8("only in the bucket\n"));  // .

        s.Config($"""
            - name: www
              local_path: {s.Local}
              bucket: {s.Bucket}
              bucket_path: www
              retire_deleted: true
            - name: archive
              local_path: {archive}
              bucket: {s.Bucket}
              bucket_path: archive
            """);
        return s;
    }

    private static string Scrub(Scenario s, string output) =>
        VerifyScenarioTests.ScrubTimes(output).Replace(s.Root, "<tmp>", StringComparison.Ordinal).Replace(s.Bucket, "<bucket>", StringComparison.Ordinal);

    [Fact]
    public async Task Text_report_of_a_fixed_tree_matches_the_snapshot()
    {
        using var s = await FixedTreeAsync();

        var run = await s.RunAsync("verify", "-c", s.ConfigPath, "--all");

        Assert.True(run.ExitCode == 1, run.ToString());
        Snapshots.Match(Scrub(s, run.Output), "verify-text");
    }

    [Fact]
    public async Task Json_report_of_a_fixed_tree_matches_the_snapshot()
    {
        using var s = await FixedTreeAsync();

        var run = await s.RunAsync("verify", "-c", s.ConfigPath, "--all", "--json");

        Assert.True(run.ExitCode == 1, run.ToString());
        Snapshots.Match(Scrub(s, run.Output), "verify-jsonl");
    }
}
