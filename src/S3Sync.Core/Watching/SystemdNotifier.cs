using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace S3Sync.Watching;

/// <summary>
/// The sd_notify protocol (systemd's <c>Type=notify</c>), without libsystemd: one datagram per message to the
/// unix socket named by <c>$NOTIFY_SOCKET</c> (a path, or an abstract name written with a leading <c>@</c>).
/// <c>watch</c> sends <c>READY=1</c> once every site finished its first full sync, <c>RELOADING=1</c> (with
/// <c>MONOTONIC_USEC</c>) then <c>READY=1</c> around a reload, <c>STOPPING=1</c> on SIGTERM, <c>STATUS=</c> lines, and
/// <c>WATCHDOG=1</c> every <see cref="WatchdogInterval"/> while its sites' loops turn. A message that cannot be sent is
/// dropped: the service never fails for its supervisor's socket.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _endpoint;
    private readonly Lock _gate = new();

    private SystemdNotifier(UnixDomainSocketEndPoint endpoint, TimeSpan? watchdog)
    {
        _endpoint = endpoint;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        WatchdogInterval = watchdog;
    }

    /// <summary>Two hours: a longer <c>$WATCHDOG_USEC</c> is kept alive every hour, which is early enough for it and
    /// a period a timer can hold (a raw half of a huge value overflowed to a negative period, or passed the timer's
    /// 49.7-day limit, and either stopped <c>watch</c> at its start).</summary>
    private const long MaxWatchdogUsec = 7_200_000_000;

    /// <summary>Half of <c>$WATCHDOG_USEC</c> (at most an hour) (as sd_watchdog_enabled advises), when the watchdog is on for this
    /// process (<c>$WATCHDOG_PID</c> unset or this process's id); null otherwise.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>The notifier <paramref name="environment"/> asks for (<c>NOTIFY_SOCKET</c>, <c>WATCHDOG_USEC</c>,
    /// <c>WATCHDOG_PID</c>), or null when the process does not run under a supervisor that listens.</summary>
    public static SystemdNotifier? FromEnvironment(Func<string, string?> environment, int processId)
    {
        var socket = environment("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(socket) || (socket[0] != '/' && socket[0] != '@')) return null;
        // An abstract name: '@' stands for the leading NUL byte.
        UnixDomainSocketEndPoint endpoint;
        try { endpoint = new UnixDomainSocketEndPoint(socket[0] == '@' ? "\0" + socket[1..] : socket); }
        catch (ArgumentException) { return null; } // longer than sun_path: no supervisor can be listening there
        TimeSpan? watchdog = null;
        if (long.TryParse(environment("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            && (environment("WATCHDOG_PID") is not { Length: > 0 } pid || pid == processId.ToString(CultureInfo.InvariantCulture)))
            watchdog = TimeSpan.FromTicks(Math.Min(usec, MaxWatchdogUsec) * 5); // half of it (10 ticks a microsecond)
        return new SystemdNotifier(endpoint, watchdog);
    }

    public void Ready(string status) => Send($"READY=1\nSTATUS={OneLine(status)}");

    /// <summary>The reload starts; <c>READY=1</c> (<see cref="Ready"/>) ends it.</summary>
    public void Reloading() => Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS=reloading the configuration");

    public void Stopping() => Send("STOPPING=1\nSTATUS=stopping");

    public void Status(string status) => Send($"STATUS={OneLine(status)}");

    public void Watchdog() => Send("WATCHDOG=1");

    /// <summary>CLOCK_MONOTONIC in microseconds, the clock systemd compares <c>MONOTONIC_USEC</c> with (the
    /// Stopwatch reads CLOCK_MONOTONIC on Linux).</summary>
    public static long MonotonicMicroseconds() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private void Send(string message)
    {
        lock (_gate)
        {
            try { _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _endpoint); }
            catch (SocketException) { } // no one listens (any more): nothing to tell
            catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        lock (_gate) _socket.Dispose();
    }
}
