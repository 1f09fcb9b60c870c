using System.Diagnostics;
using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Awkward file names against the real server: each is synced under exactly its name's bytes, or skipped with a
/// warning naming the file; never a crash, never a wrong key. s3sync does not normalize Unicode.
/// </summary>
[Collection("s3")]
public sealed class FileNameTests(S3ServerFixture server)
{
    private static void Bash(string script)
    {
        using var p = Process.Start(new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
    }

    [Fact]
    public async Task Odd_names_are_synced_under_their_exact_bytes_and_converge()
    {
        using var s = await Scenario.CreateAsync(server);
        var names = new[]
        {
            "new\nline.txt",
            "carriage\rreturn.txt",
            "back\\slash.txt",
            "tab\there.txt",
            "caf\u00e9-nfc.txt",   // é precomposed (NFC)
            "cafe\u0301-nfc.txt",  // e + combining acute (NFD): a different name, so a different key
            "\u00e9",
            "e\u0301",
            "emoji-\U0001F600.txt",
            "private-\uE000.txt",
            "quote\"and'apostrophe.txt",
            "amp&lt;xml>.txt",
            " leading and trailing space ",
            "percent%2Fslash.txt",
            "plus+sign.txt",
            "dir with space/inner?.txt",
        };
        foreach (var n in names) s.Write(n, "content of " + n);
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");

        var first = await s.SyncAsync();

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(names.Order(StringComparer.Ordinal), await s.KeysAsync());
        foreach (var n in names) Assert.Equal(Encoding.UTF8.GetBytes("content of " + n), await server.GetAsync(s.Bucket, n));

        var second = await s.SyncAsync();
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"uploaded 0 files (0 B), deleted 0, changed in place 0, unchanged {names.Length}", second.Output);

        var verify = await s.RunAsync("verify", "-c", "{config}");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Name_that_is_not_valid_utf8_is_skipped_with_a_warning_and_the_rest_synced()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("good.txt", "good");
        Bash($"cd '{s.Local}' && printf bad > $'bad-\\xff-name.txt' && mkdir $'dir-\\xfe' && printf x > $'dir-\\xfe/inside.txt'");
        s.SiteConfig("retire_deleted: true");

        var run = await s.SyncProcessAsync(unprivileged: false); // a child process: the log goes to its stderr

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("skipped: the name is not valid UTF-8, so it has no S3 key", run.Error);
        Assert.Equal(2, run.Error.Split('\n').Count(l => l.Contains("not valid UTF-8", StringComparison.Ordinal)));
        Assert.Equal(["good.txt"], await s.KeysAsync());
        Assert.DoesNotContain('\uFFFD', string.Concat(await s.KeysAsync()));
    }

    [Fact]
    public async Task Fifo_and_socket_are_skipped_with_a_warning_and_an_empty_file_is_synced()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("data.txt", "data");
        s.Write("empty.txt", []);
        Bash($"mkfifo '{Path.Combine(s.Local, "pipe")}'");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(s.Local, "socket")));
        s.SiteConfig("retire_deleted: true");

        var run = await s.SyncProcessAsync(unprivileged: false); // a child process: the log goes to its stderr
        var verify = await s.RunAsync("verify", "-c", "{config}");

        Assert.True(run.ExitCode == 0, run.ToString());
        // One summary warning for both (issue #27: not a line per file in every cron mail); each one's line at debug
        Assert.Single(run.Error.Split('\n'), l => l.Contains("warn:", StringComparison.Ordinal) && l.Contains("2 special files skipped (FIFOs, sockets or devices: not regular files): ", StringComparison.Ordinal)
            && l.Contains(Path.Combine(s.Local, "pipe"), StringComparison.Ordinal) && l.Contains(Path.Combine(s.Local, "socket"), StringComparison.Ordinal));
        Assert.Equal(["data.txt", "empty.txt"], await s.KeysAsync());
        Assert.Empty(await server.GetAsync(s.Bucket, "empty.txt"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Name_whose_key_passes_1024_bytes_is_skipped_with_a_warning()
    {
        using var s = await Scenario.CreateAsync(server);
        // 4 folders of 200 bytes + a 250-byte name under the prefix "p/": 2 + 4 * 201 + 250 = 1,056 bytes.
        var deep = string.Join('/', Enumerable.Range(0, 4).Select(i => new string((char)('a' + i), 200)));
        s.Write(deep + "/" + new string('z', 250), "too long");
        var fits = deep + "/" + new string('y', 200);  // 2 + 804 + 200 = 1,006 bytes: fits
        s.Write(fits, "fits");
        s.SiteConfig("bucket_path: p");

        var run = await s.SyncProcessAsync(unprivileged: false);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("skipped: its key would be longer than S3's 1024 bytes", run.Error);
        Assert.Equal(["p/" + fits], await s.KeysAsync());
    }
}
