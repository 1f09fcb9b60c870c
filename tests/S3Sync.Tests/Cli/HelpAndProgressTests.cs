using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

public sealed class HelpAndProgressTests
{
    private static async Task<RunResult> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await Program.RunAsync(args, output, error);
        return new RunResult(code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("sync --help")]
    [InlineData("verify --help")]
    [InlineData("config --help")]
    [InlineData("config check --help")]
    public async Task Every_command_help_ends_with_examples(string args)
    {
        var run = await Run(args.Split(' '));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Output);
        Assert.Contains("\nExamples:\n  s3sync ", run.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Version_is_the_informational_version_with_the_commit()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9a-f]{7,40})?$", Program.Version);
    }

    [Fact]
    public async Task Suggest_directive_completes_storage_classes()
    {
        var run = await Run("[suggest:29]", "s3sync sync --storage-class G");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["GLACIER", "GLACIER_IR"], run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.StartsWith('G')));
    }

    [Theory]
    [InlineData(0, 10, 0, 1000, 0.1, "www: 0/10 files, 0 B/1000 B, 0 B/s, ETA ?")]
    [InlineData(5, 10, 512 * 1024, 1024 * 1024, 2.0, "www: 5/10 files, 512.0 KiB/1.0 MiB, 256.0 KiB/s, ETA 2.0s")]
    [InlineData(10, 10, 1024, 1024, 1.0, "www: 10/10 files, 1.0 KiB/1.0 KiB, 1.0 KiB/s, ETA 0s")]
    [InlineData(1, 2, 10, 1024L * 1024 * 1024 * 1024, 10.0, "www: 1/2 files, 10 B/1.0 TiB, 1 B/s, ETA ?")]
    public void Progress_line_shows_files_bytes_rate_and_eta(long doneFiles, long plannedFiles, long doneBytes, long plannedBytes, double seconds, string expected)
    {
        Assert.Equal(expected, ProgressLine.Format("www", doneFiles, plannedFiles, doneBytes, plannedBytes, TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Progress_line_is_never_drawn_on_a_writer_that_is_not_the_terminal()
    {
        Assert.False(ProgressLine.Wanted(new StringWriter(), quiet: false));
        Assert.False(ProgressLine.Wanted(Console.Error, quiet: true));
    }
}
