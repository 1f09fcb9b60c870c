using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace S3Sync.Tests.Support;

/// <summary>One request as the proxy saw it, and what it did with it.</summary>
public sealed record ProxiedRequest(string Method, string Target, int? FaultStatus, DateTime AtUtc)
{
    /// <summary>The request line and headers as received (a recording proxy: what the client really sent).</summary>
    public string Head { get; init; } = "";

    /// <summary>The value of a request header (case-insensitive name), or null.</summary>
    public string? Header(string name) =>
        Head.Split("\r\n").Skip(1).Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))?[1].Trim();
}

/// <summary>
/// A tiny HTTP proxy on loopback in front of the real server, for faults the server cannot be made to answer:
/// it answers the requests <see cref="Decide"/> picks with an S3 error (503 SlowDown, 500 InternalError) and
/// forwards the rest byte for byte (one request per connection: it asks for <c>Connection: close</c>).
/// SigV4 does not sign the Connection header, so the forwarded requests stay valid.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly CancellationTokenSource _stop = new();
    private int _count;

    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _certificate;

    /// <summary>With <paramref name="certificate"/>, the proxy speaks HTTPS to its clients (plain HTTP upstream).</summary>
    public FaultProxy(string upstream, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        _certificate = certificate;
        _upstream = new Uri(upstream);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Endpoint => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every request seen, in arrival order.</summary>
    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    /// <summary>Given the request's number (from 1), method and target: the status to fail it with, or null to forward.</summary>
    public Func<int, string, string, int?> Decide { get; set; } = (_, _, _) => null;

    /// <summary>Given the method and target of a forwarded request: the offset in its answer's body of one byte to flip
    /// (a corrupting network or server), or null to forward the answer as it is.</summary>
    public Func<string, string, long?> FlipByte { get; set; } = (_, _) => null;

    /// <summary>Given the method and target: a <c>Location</c> to answer <c>307 Temporary Redirect</c> with (the
    /// request's body is read first), or null. Checked before <see cref="Decide"/>.</summary>
    public Func<string, string, string?> RedirectTo { get; set; } = (_, _) => null;

    /// <summary>Raised for each request before it is answered or forwarded.</summary>
    public event Action<ProxiedRequest>? Seen;

    public int Faults => Requests.Count(r => r.FaultStatus is not null);

    /// <summary>A server that takes only so many requests at once: a request that arrives while this many are being
    /// served is answered 503 SlowDown (as S3 does above its rate for a prefix). Null: no such limit.</summary>
    public int? SlowDownAbove { get; set; }

    /// <summary>How long each forwarded request is held before it goes upstream (so requests overlap, as on a server
    /// where each takes this long).</summary>
    public TimeSpan ServeDelay { get; set; }

    private int _inFlight;
    private long _servedTicks;

    /// <summary>The most forwarded requests in flight at once.</summary>
    public int PeakInFlight { get; private set; }

    /// <summary>The time forwarded requests spent in flight, summed: divided by the wall time, the mean concurrency.</summary>
    public TimeSpan Served => TimeSpan.FromTicks(Interlocked.Read(ref _servedTicks));

    /// <summary>Bytes the client sent through the proxy (request heads and bodies): what a run puts on the wire.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    private long _bytesSent;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        var counted = false;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new System.Net.Security.SslStream(stream);
                    await tls.AuthenticateAsServerAsync(_certificate);
                    stream = tls;
                }
                await using var owned = stream;
                var (head, extra) = await ReadHeadAsync(stream);
                if (head is null) return;
                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var (method, target) = (parts[0], parts.Length > 1 ? parts[1] : "");
                var n = Interlocked.Increment(ref _count);
                if (RedirectTo(method, target) is { } location)
                {
                    Requests.Enqueue(new ProxiedRequest(method, target, 307, DateTime.UtcNow) { Head = head });
                    await AnswerFaultAsync(stream, lines, extra, 307, location);
                    return;
                }
                var status = Decide(n, method, target);
                if (status is null && SlowDownAbove is { } most)
                {
                    var now = Interlocked.Increment(ref _inFlight);
                    if (now > most)
                    {
                        Interlocked.Decrement(ref _inFlight);
                        status = 503;
                    }
                    else
                    {
                        counted = true;
                        lock (Requests) PeakInFlight = Math.Max(PeakInFlight, now);
                    }
                }
                var request = new ProxiedRequest(method, target, status, DateTime.UtcNow) { Head = head };
                Requests.Enqueue(request);
                Seen?.Invoke(request);
                if (status is { } code)
                {
                    await AnswerFaultAsync(stream, lines, extra, code);
                    return;
                }
                if (ServeDelay > TimeSpan.Zero) await Task.Delay(ServeDelay, _stop.Token);
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
                var up = upstream.GetStream();
                var rewritten = string.Join("\r\n", lines.Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase))) + "\r\nConnection: close\r\n\r\n";
                Interlocked.Add(ref _bytesSent, head.Length + 4 + extra.Length);
                await up.WriteAsync(Encoding.Latin1.GetBytes(rewritten), _stop.Token);
                await up.WriteAsync(extra, _stop.Token);
                var body = CopyCountingAsync(stream, up);
                if (FlipByte(method, target) is { } flip) await CopyFlippingAsync(up, stream, flip);
                else await up.CopyToAsync(stream, _stop.Token);
                _ = body.ContinueWith(t => t.Exception, TaskScheduler.Default);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // a dropped connection is a fault the client sees as such
            }
            catch (OperationCanceledException) { }
            finally
            {
                if (counted)
                {
                    Interlocked.Decrement(ref _inFlight);
                    Interlocked.Add(ref _servedTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
                }
            }
        }
    }

    private static async Task AnswerFaultAsync(Stream stream, string[] lines, byte[] extra, int code, string? location = null)
    {
        // Read the body first unless the client waits for "100 Continue", so it sees the answer, not a reset.
        var length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(p => long.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var expects = lines.Any(l => l.StartsWith("Expect:", StringComparison.OrdinalIgnoreCase));
        if (!expects)
        {
            var remaining = length - extra.Length;
            var buffer = new byte[81920];
            while (remaining > 0)
            {
                var r = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)));
                if (r == 0) break;
                remaining -= r;
            }
        }
        var (errorCode, reason) = code switch { 503 => ("SlowDown", "Slow Down"), 429 => ("TooManyRequests", "Too Many Requests"), 307 => ("TemporaryRedirect", "Temporary Redirect"), _ => ("InternalError", "Internal Server Error") };
        var xml = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{errorCode}</Code><Message>injected by the test proxy</Message><RequestId>fault</RequestId></Error>";
        var where = location is null ? "" : $"Location: {location}\r\n";
        var response = $"HTTP/1.1 {code} {reason}\r\n{where}Content-Type: application/xml\r\nContent-Length: {Encoding.UTF8.GetByteCount(xml)}\r\nConnection: close\r\n\r\n{xml}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(response));
        await stream.FlushAsync();
    }

    private async Task CopyCountingAsync(Stream from, Stream to)
    {
        var buffer = new byte[81920];
        int n;
        while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            Interlocked.Add(ref _bytesSent, n);
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }

    /// <summary>Forwards an answer with the byte at <paramref name="flip"/> of its body inverted (the head as it is).</summary>
    private async Task CopyFlippingAsync(Stream from, Stream to, long flip)
    {
        var (head, extra) = await ReadHeadAsync(from);
        if (head is null) return;
        await to.WriteAsync(Encoding.Latin1.GetBytes(head + "\r\n\r\n"), _stop.Token);
        var buffer = extra;
        long at = 0;
        while (true)
        {
            if (flip >= at && flip < at + buffer.Length) buffer[flip - at] ^= 0xFF;
            await to.WriteAsync(buffer, _stop.Token);
            at += buffer.Length;
            buffer = new byte[81920];
            var n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            buffer = buffer[..n];
        }
    }

    /// <summary>Reads up to the blank line; returns the head and whatever body bytes came with it.</summary>
    private async Task<(string? Head, byte[] Extra)> ReadHeadAsync(Stream stream)
    {
        var buffer = new byte[65536];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var r = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
            if (r == 0) return (null, []);
            filled += r;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0) return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + 4)..filled]);
        }
        return (null, []);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
