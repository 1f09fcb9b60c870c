using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch under systemd's Type=notify: the binary run with NOTIFY_SOCKET pointing at a unix datagram socket the
/// test binds, as systemd does (issue #27).</summary>
[Collection("s3")]
public sealed class SystemdNotifyTests(S3ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Watch_tells_systemd_ready_after_the_first_sync_reloading_then_ready_on_sighup_watchdog_and_stopping()
    {
        // Given a site with a file, and a notify socket under an abstract name (systemd's own form: '@' + name)
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig("name: www");
        var name = "s3sync-notify-" + Guid.NewGuid().ToString("N");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        var messages = Channel.CreateUnbounded<string>();
        var all = new ConcurrentQueue<string>();
        _ = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n;
                try { n = await socket.ReceiveAsync(buffer, SocketFlags.None); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                var text = Encoding.UTF8.GetString(buffer, 0, n);
                all.Enqueue(text);
                messages.Writer.TryWrite(text);
            }
        });

        // When watch runs under it with a watchdog of 400 ms
        var stderr = new ConcurrentQueue<string>();
        using var process = CliProcess.Start(["watch", "-c", s.ConfigPath, "--grace", "5"], env: new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = "@" + name,
            ["WATCHDOG_USEC"] = "400000",
        });
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            // Then READY=1 comes once the first full sync is done (the file is in the bucket by then)
            var ready = await NextAsync(messages, m => m.Contains("READY=1", StringComparison.Ordinal), stderr, all);
            Assert.Contains("STATUS=watching 1 sites", ready);
            Assert.Contains("a.txt", await s.KeysAsync());
            Assert.Contains(all, m => m.Contains("STATUS=initial sync running", StringComparison.Ordinal));
            // and WATCHDOG=1 every WATCHDOG_USEC/2 while the loop turns
            await NextAsync(messages, m => m == "WATCHDOG=1", stderr, all);
            await NextAsync(messages, m => m == "WATCHDOG=1", stderr, all);

            // When it gets SIGHUP (ExecReload=kill -HUP $MAINPID): RELOADING=1 with the monotonic clock, then READY=1
            var before = SystemdNotifier.MonotonicMicroseconds();
            Signal(process, "HUP");
            var reloading = await NextAsync(messages, m => m.Contains("RELOADING=1", StringComparison.Ordinal), stderr, all);
            var usec = long.Parse(reloading.Split('\n').Single(l => l.StartsWith("MONOTONIC_USEC=", StringComparison.Ordinal))["MONOTONIC_USEC=".Length..], CultureInfo.InvariantCulture);
            Assert.InRange(usec, before, SystemdNotifier.MonotonicMicroseconds());
            var reloaded = await NextAsync(messages, m => m.Contains("READY=1", StringComparison.Ordinal), stderr, all);
            Assert.Contains("STATUS=configuration reloaded", reloaded);

            // When it gets SIGTERM: STOPPING=1, and a clean exit
            Signal(process, "TERM");
            await NextAsync(messages, m => m.Contains("STOPPING=1", StringComparison.Ordinal), stderr, all);
            await process.WaitForExitAsync().WaitAsync(Deadline);
            Assert.True(process.ExitCode == 0, string.Join("\n", stderr));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public void Notifier_is_off_without_a_socket_and_the_watchdog_is_off_for_another_pid()
    {
        Assert.Null(SystemdNotifier.FromEnvironment(_ => null, 42));
        Assert.Null(SystemdNotifier.FromEnvironment(k => k == "NOTIFY_SOCKET" ? "relative/path" : null, 42));
        Assert.Null(SystemdNotifier.FromEnvironment(k => k == "NOTIFY_SOCKET" ? "/" + new string('x', 300) : null, 42));
        var env = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["WATCHDOG_USEC"] = "30000000", ["WATCHDOG_PID"] = "7" };
        using (var other = SystemdNotifier.FromEnvironment(k => env.GetValueOrDefault(k), 42)) Assert.Null(other!.WatchdogInterval);
        using (var mine = SystemdNotifier.FromEnvironment(k => env.GetValueOrDefault(k), 7)) Assert.Equal(TimeSpan.FromSeconds(15), mine!.WatchdogInterval);
        env["WATCHDOG_USEC"] = "soon";
        using (var bad = SystemdNotifier.FromEnvironment(k => env.GetValueOrDefault(k), 7)) Assert.Null(bad!.WatchdogInterval);
    }

    [Theory]
    [InlineData("9223372036854775807")] // long.MaxValue: its tenfold overflowed to a negative period
    [InlineData("10000000000000")]      // 116 days: half of it is more than a timer's 49.7 days
    public void A_huge_watchdog_usec_is_kept_alive_every_hour_with_a_period_a_timer_takes(string usec)
    {
        var env = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "/run/systemd/notify", ["WATCHDOG_USEC"] = usec };

        using var notifier = SystemdNotifier.FromEnvironment(k => env.GetValueOrDefault(k), 7);

        Assert.Equal(TimeSpan.FromHours(1), notifier!.WatchdogInterval);
        using var timer = TimeProvider.System.CreateTimer(_ => { }, null, Timeout.InfiniteTimeSpan, notifier.WatchdogInterval!.Value);
    }

    [Fact]
    public async Task Notifier_sends_to_a_socket_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "s3sync-notify-" + Guid.NewGuid().ToString("N")[..8]);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        try
        {
            using var notifier = SystemdNotifier.FromEnvironment(k => k == "NOTIFY_SOCKET" ? path : null, Environment.ProcessId)!;
            notifier.Stopping();
            var buffer = new byte[256];
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Deadline);
            Assert.Equal("STOPPING=1\nSTATUS=stopping", Encoding.UTF8.GetString(buffer, 0, n));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<string> NextAsync(Channel<string> messages, Func<string, bool> match, ConcurrentQueue<string> stderr, ConcurrentQueue<string> all)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        try
        {
            while (true)
            {
                var message = await messages.Reader.ReadAsync(timeout.Token);
                if (match(message)) return message;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no such message in {Deadline.TotalSeconds} s; received:\n{string.Join("\n--\n", all)}\nstderr:\n{string.Join("\n", stderr)}");
        }
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {process.Id}");
        kill!.WaitForExit();
    }
}
