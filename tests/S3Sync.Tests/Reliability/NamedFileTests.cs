using System.Diagnostics;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Every file s3sync reads because a user named it (the configuration, <c>--exclude-from</c>, the SSE-C key file, by
/// flag or by key) is a regular file of at most 1 MiB, decided on the opened handle (<c>UserFile</c>): <c>/dev/zero</c>,
/// a FIFO and a 2 MiB file each end in one line naming the file and exit 2, at once, through the real binary (issue #23,
/// item 4: <c>/dev/zero</c> grew the process to 8 GB or ended in an OutOfMemoryException; a FIFO blocked the open for
/// ever).
/// </summary>
public sealed class NamedFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s3sync-named-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var option in new[] { "config-check", "sync-config", "exclude-from", "sse-customer-key-file", "sse-key-in-config", "aws-credentials-file", "aws-config-file" })
            foreach (var kind in new[] { "dev-zero", "fifo", "two-mib" })
                data.Add(option, kind);
        return data;
    }

    /// <summary>The file of the kind asked for: a link to /dev/zero, a FIFO, or 2 MiB of what the option reads.</summary>
    private string Make(string kind, string option)
    {
        var path = Path.Combine(_dir, "named-" + kind);
        switch (kind)
        {
            case "dev-zero":
                File.CreateSymbolicLink(path, "/dev/zero");
                break;
            case "fifo":
                using (var p = Process.Start("mkfifo", [path])) p.WaitForExit();
                Assert.True(File.Exists(path));
                break;
            default:
                var line = option switch { "exclude-from" => "*.log\n", "sse-customer-key-file" or "sse-key-in-config" => "0123456789abcdef\n", _ => "# a comment\n" };
                File.WriteAllText(path, string.Concat(Enumerable.Repeat(line, 2 * 1024 * 1024 / line.Length + 1)));
                break;
        }
        return path;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_named_file_that_is_not_a_small_regular_file_is_one_line_and_exit_2(string option, string kind)
    {
        var local = Directory.CreateDirectory(Path.Combine(_dir, "local")).FullName;
        var file = Make(kind, option);
        var config = Path.Combine(_dir, "config.yml");
        File.WriteAllText(config, $"sites:\n- local_path: {local}\n  bucket: named-files\n" + (option == "sse-key-in-config" ? $"  sse_customer_key_file: {file}\n" : ""));
        string[] args = option switch
        {
            "config-check" => ["config", "check", "-c", file],
            "sync-config" => ["sync", "-c", file],
            "exclude-from" => ["config", "check", local, "s3://named-files/p", "--exclude-from", file],
            "sse-customer-key-file" => ["sync", local, "s3://named-files/p", "--sse-customer-key-file", file],
            "sse-key-in-config" => ["config", "check", "-c", config],
            _ => ["config", "check", local, "s3://named-files/p"],
        };
        // The AWS SDK's shared files, named by variable: checked before the SDK reads them
        var env = option switch
        {
            "aws-credentials-file" => new Dictionary<string, string> { ["AWS_SHARED_CREDENTIALS_FILE"] = file },
            "aws-config-file" => new Dictionary<string, string> { ["AWS_CONFIG_FILE"] = file },
            _ => null,
        };

        var watch = Stopwatch.StartNew();
        var run = await CliProcess.RunAsync(args, env: env, timeout: TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 2, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, run.ToString());
        Assert.Contains(file, lines[0]);
        Assert.Contains(kind switch { "dev-zero" => "is a character device, not", "fifo" => "is a FIFO (named pipe), not", _ => "holds 2,097,1" }, lines[0]);
        BadConfigTests.AssertNoStackTrace(run);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}
