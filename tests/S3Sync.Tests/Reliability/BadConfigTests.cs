using System.Text;
using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// The corpus of broken configuration files in <c>tests/S3Sync.Tests/BadConfigs/</c>: each file has a sidecar
/// <c>.expected</c> (line 1: exit code, line 2: a part of the one-line message). Run through the real command line.
/// </summary>
public sealed class BadConfigTests
{
    public static string CorpusDir => Path.Combine(S3ServerFixture.RepoRoot, "tests", "S3Sync.Tests", "BadConfigs");

    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(CorpusDir).Where(f => !f.EndsWith(".expected", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    internal static async Task<RunResult> VerifyAsync(string configPath, params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync(["verify", "-c", configPath, .. extra], output, error);
        return new RunResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Nothing that looks like a .NET stack trace or an unhandled exception reached the output.</summary>
    internal static void AssertNoStackTrace(RunResult run)
    {
        var all = run.Output + run.Error;
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotContain("Unhandled exception", all);
        Assert.DoesNotContain("--- End of", all);
    }

    [Fact]
    public void Corpus_holds_at_least_30_files_each_with_an_expectation()
    {
        var files = Corpus();
        Assert.True(files.Count >= 30, $"only {files.Count} bad configs");
        foreach (var f in Directory.GetFiles(CorpusDir).Where(f => !f.EndsWith(".expected", StringComparison.Ordinal)))
            Assert.True(File.Exists(f + ".expected"), $"{f} has no .expected");
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Bad_config_exits_with_its_code_and_a_one_line_message_naming_the_file(string name)
    {
        var path = Path.Combine(CorpusDir, name);
        var expected = File.ReadAllLines(path + ".expected");

        var run = await VerifyAsync(path);

        Assert.True(run.ExitCode == int.Parse(expected[0], System.Globalization.CultureInfo.InvariantCulture), run.ToString());
        Assert.True(run.Error.Contains(expected[1], StringComparison.Ordinal), $"expected '{expected[1]}' in:\n{run}");
        Assert.All(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith($"s3sync: {path}", line));
        Assert.Equal("", run.Output);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task Config_over_one_mebibyte_is_refused_unread()
    {
        var path = Path.Combine(Path.GetTempPath(), $"s3sync-huge-{Guid.NewGuid():N}.yml");
        try
        {
            var text = new StringBuilder("sites:\n");
            for (var i = 0; text.Length <= 1024 * 1024; i++) text.Append($"- local_path: /data/site{i}\n  bucket: bucket-{i % 1000:D4}\n  bucket_path: p{i}\n");
            await File.WriteAllTextAsync(path, text.ToString());

            var run = await VerifyAsync(path);

            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains("a configuration file may hold at most 1,048,576", run.Error);
            AssertNoStackTrace(run);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Missing_config_and_a_folder_given_as_config_exit_2()
    {
        var missing = await VerifyAsync("/nonexistent/s3sync.yml");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("s3sync: /nonexistent/s3sync.yml: no such file", missing.Error);

        var folder = await VerifyAsync(Path.GetTempPath());
        Assert.True(folder.ExitCode == 2, folder.ToString());
        Assert.Contains("is a directory, not a configuration file", folder.Error);
    }

    [Fact]
    public async Task Unreadable_config_exits_2_with_permission_denied()
    {
        var path = Path.Combine(Path.GetTempPath(), $"s3sync-locked-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(path, "sites:\n- local_path: /data\n  bucket: my-bucket\n");
        File.SetUnixFileMode(path, UnixFileMode.None);
        try
        {
            var run = await CliProcess.RunAsync(["verify", "-c", path], unprivileged: true);

            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains($"s3sync: {path}: cannot read: permission denied", run.Error);
            AssertNoStackTrace(run);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("binary-junk.bin")]
    [InlineData("tab-indentation.yml")]
    [InlineData("duplicate-key.yml")]
    [InlineData("regex-unclosed-group.yml")]
    [InlineData("alias-bomb.yml")]
    [InlineData("complex-key.yml")]
    [InlineData("workers-overflow.yml")]
    public async Task Binary_answers_bad_config_on_stderr_without_a_stack_trace(string name)
    {
        var path = Path.Combine(CorpusDir, name);
        var expected = File.ReadAllLines(path + ".expected");

        var run = await CliProcess.RunAsync(["sync", "-c", path]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(expected[1], run.Error);
        Assert.Equal("", run.Output);
        AssertNoStackTrace(run);
    }
}
