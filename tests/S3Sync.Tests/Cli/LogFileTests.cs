using System.Net.Sockets;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// <c>--log-file</c> through the published binary, without a server: what it refuses (anything but a regular file,
/// judged before anything is opened for writing) and when it is taken (only once the command line parsed).
/// </summary>
public sealed class LogFileTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-logfile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<RunResult> CheckWithLog(string log, params string[] extra) =>
        Binary.RunAsync(["config", "check", "-c", Path.Combine(_root, "missing.yml"), "--log-file", log, .. extra]);

    [Fact]
    public async Task A_usage_error_is_said_on_stderr_and_creates_no_log_file()
    {
        var log = Path.Combine(_root, "s3sync.log");

        var run = await CheckWithLog(log, "--no-such-flag");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("s3sync: unknown option '--no-such-flag'", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(log), "a usage error created the log file");
    }

    [Fact]
    public async Task A_command_line_that_parses_writes_its_errors_to_the_log_file()
    {
        var log = Path.Combine(_root, "s3sync.log");

        var run = await CheckWithLog(log);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Error);
        Assert.Equal($"s3sync: {Path.Combine(_root, "missing.yml")}: no such file\n", File.ReadAllText(log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
    }

    [Fact]
    public async Task Devices_sockets_fifos_and_folders_are_refused_in_one_line_by_their_kind()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "folder")).FullName;
        var fifo = Path.Combine(_root, "fifo");
        Assert.Equal(0, (await Binary.RunAsync("mkfifo", [fifo])).ExitCode);
        var socketPath = Path.Combine(_root, "sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        foreach (var (path, kind) in new[]
        {
            ("/dev/null", "is a character device"), (folder, "is a directory"), (fifo, "is a FIFO (named pipe)"), (socketPath, "is a socket"),
        })
        {
            var run = await CheckWithLog(path);

            Assert.Equal(2, run.ExitCode);
            Assert.Equal($"s3sync: --log-file: {path}: {kind}, not a regular file\n", run.Error);
        }
    }
}
