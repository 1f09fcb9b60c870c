using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace S3Sync.Watching;

/// <summary>
/// A minimal HTTP/1.1 listener for probes and scraping, one request per connection. Built on sockets (no ASP.NET) so
/// the AOT binary stays small and warning-free. GET changes nothing.
/// <list type="bullet">
/// <item><c>/livez</c>: the process works (200 unless a site's loop is stuck): a liveness probe restarts on it;</item>
/// <item><c>/readyz</c> (and <c>/healthz</c>, its older name): every site synced, watched, nothing held: 503 says why;</item>
/// <item><c>/startupz</c>: every site finished its first full sync (held deletions or not), systemd's <c>READY=1</c>;</item>
/// <item><c>/metrics</c>: the Prometheus text format.</item>
/// </list>
/// </summary>
public sealed class StatusServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<bool> _healthy;
    private readonly Func<string> _metrics;
    private readonly Func<string?>? _problem;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    /// <param name="problem">Why the service is unhealthy (the 503 body names each site and what is wrong), or null.</param>
    public StatusServer(string address, int port, Func<bool> healthy, Func<string> metrics, ILogger logger, Func<string?>? problem = null)
    {
        _problem = problem;
        var ip = address == "localhost" ? IPAddress.Loopback : IPAddress.Parse(address);
        _listener = new TcpListener(ip, port);
        _healthy = healthy;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Takes the next connection; the listener's own accept by default. Tests swap it to fail (EMFILE,
    /// ECONNABORTED) at will.</summary>
    public Func<TcpListener, CancellationToken, ValueTask<Socket>> Accept { get; init; } = static (listener, ct) => listener.AcceptSocketAsync(ct);

    /// <summary>The longest wait between two accepts that failed (the wait doubles from 50 ms up to this).</summary>
    public TimeSpan MaxAcceptBackoff { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Why the process does not work (<c>/livez</c> answers 503 with it); null when it works.</summary>
    public Func<string?> Stuck { get; init; } = static () => null;

    /// <summary>True once every site finished its first full sync (<c>/startupz</c>); the health by default.</summary>
    public Func<bool>? Started { get; init; }

    /// <summary>The bound port (useful when the configured port is 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Start()
    {
        _listener.Start();
        _logger.LogInformation("HTTP status on http://{Address}:{Port}/ (/livez, /readyz, /startupz, /metrics)", ((IPEndPoint)_listener.LocalEndpoint).Address, Port);
        _accepting = AcceptAsync();
    }

    /// <summary>
    /// Accepts until disposed. An accept that fails (EMFILE when the process is out of descriptors, ECONNABORTED
    /// when a client gave up in the backlog, ...) is logged (once per run of failures) and tried again after
    /// 50 ms, 100 ms, ... up to <see cref="MaxAcceptBackoff"/>: the server never stops answering while the process runs.
    /// </summary>
    private async Task AcceptAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        var failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await Accept(_listener, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException && _stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
            {
                if (failures++ == 0)
                    _logger.LogWarning("HTTP status: accept failed ({Error}); trying again with a backoff up to {Seconds} s", e is SocketException se ? $"{se.SocketErrorCode}: {se.Message}" : e.Message, MaxAcceptBackoff.TotalSeconds);
                try { await Task.Delay(backoff, _stop.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                continue;
            }
            if (failures > 0)
            {
                _logger.LogInformation("HTTP status: accepting again after {Count} failed accepts", failures);
                failures = 0;
                backoff = TimeSpan.FromMilliseconds(50);
            }
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var buffer = new byte[8192];
            var length = 0;
            while (length < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (n == 0) break;
                length += n;
                if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0) break;
            }
            var requestLine = Encoding.ASCII.GetString(buffer, 0, length).Split("\r\n", 2)[0].Split(' ');
            var (status, type, body) = Respond(requestLine);
            var payload = Encoding.UTF8.GetBytes(body);
            var head = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {payload.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            if (requestLine[0] != "HEAD") await socket.SendAsync(payload, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private (string Status, string Type, string Body) Respond(string[] requestLine)
    {
        if (requestLine.Length < 2) return ("400 Bad Request", "text/plain", "bad request\n");
        if (requestLine[0] is not ("GET" or "HEAD")) return ("405 Method Not Allowed", "text/plain", "only GET\n");
        var path = requestLine[1].Split('?', 2)[0];
        return path switch
        {
            "/healthz" or "/readyz" => _healthy() ? ("200 OK", "text/plain", "ok\n") : ("503 Service Unavailable", "text/plain", (_problem?.Invoke() ?? "not ready: initial sync running or watches degraded") + "\n"),
            "/livez" => Stuck() is { } why ? ("503 Service Unavailable", "text/plain", why + "\n") : ("200 OK", "text/plain", "ok\n"),
            "/startupz" => (Started ?? _healthy)() ? ("200 OK", "text/plain", "ok\n") : ("503 Service Unavailable", "text/plain", "starting: the first full sync of every site is not done yet\n"),
            "/metrics" => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", _metrics()),
            _ => ("404 Not Found", "text/plain", "not found (try /livez, /readyz, /startupz or /metrics)\n"),
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accepting is not null) await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }
}
