// S3Sync.Latency LISTEN_PORT UPSTREAM_HOST:PORT RTT_MS
// Listens on 127.0.0.1:LISTEN_PORT (0: any free port, printed on stdout as "port N") and forwards each connection to
// UPSTREAM with RTT_MS/2 of delay on every chunk in each direction, and RTT_MS before a new connection's first byte.
// Stops on SIGTERM or when stdin closes (so a script that dies never leaves it behind).
using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

if (args.Length != 3 || !int.TryParse(args[0], out var listenPort) || !int.TryParse(args[2], out var rttMs))
{
    Console.Error.WriteLine("usage: S3Sync.Latency LISTEN_PORT UPSTREAM_HOST:PORT RTT_MS");
    return 2;
}
var upstream = args[1].Split(':');
var upstreamHost = upstream[0];
var upstreamPort = int.Parse(upstream[1], System.Globalization.CultureInfo.InvariantCulture);
var oneWay = TimeSpan.FromMilliseconds(rttMs / 2.0);
var handshake = TimeSpan.FromMilliseconds(rttMs);

var listener = new TcpListener(IPAddress.Loopback, listenPort);
listener.Start(4096);
Console.WriteLine($"port {((IPEndPoint)listener.LocalEndpoint).Port}");
var stop = new CancellationTokenSource(); // not disposed: the exit handler may cancel it after the loop ends
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
_ = Task.Run(() => { try { while (Console.In.Read() >= 0) { } } catch (IOException) { } stop.Cancel(); });

try
{
    while (!stop.IsCancellationRequested)
    {
        var client = await listener.AcceptTcpClientAsync(stop.Token);
        _ = Task.Run(() => ServeAsync(client, stop.Token));
    }
}
catch (OperationCanceledException) { }
return 0;

async Task ServeAsync(TcpClient client, CancellationToken token)
{
    using var _ = client;
    using var server = new TcpClient();
    client.NoDelay = true;
    server.NoDelay = true;
    try
    {
        var connect = server.ConnectAsync(upstreamHost, upstreamPort, token).AsTask();
        await Task.Delay(handshake, token);
        await connect;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token);
        var up = PumpAsync(client.GetStream(), server.GetStream(), server.Client, linked.Token);
        var down = PumpAsync(server.GetStream(), client.GetStream(), client.Client, linked.Token);
        await Task.WhenAny(up, down);
        // One side closed: let the other finish what it already received (its delayed chunks), then close both.
        await Task.WhenAll(up, down).WaitAsync(TimeSpan.FromSeconds(30), token).ContinueWith(_ => { }, TaskScheduler.Default);
    }
    catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or TimeoutException) { }
}

// Reads chunks as they come and writes each one `oneWay` after it arrived, in order: a pipe of that length.
async Task PumpAsync(Stream from, Stream to, Socket toSocket, CancellationToken token)
{
    var chunks = Channel.CreateUnbounded<(long Due, byte[] Buffer, int Count)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    var writer = Task.Run(async () =>
    {
        try
        {
            await foreach (var (due, buffer, count) in chunks.Reader.ReadAllAsync(token))
            {
                var wait = TimeSpan.FromTicks((due - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, token);
                try { if (count > 0) await to.WriteAsync(buffer.AsMemory(0, count), token); }
                finally { if (count > 0) ArrayPool<byte>.Shared.Return(buffer); }
                if (count == 0) { try { toSocket.Shutdown(SocketShutdown.Send); } catch (SocketException) { } return; }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
    }, token);
    var delay = (long)(oneWay.TotalSeconds * Stopwatch.Frequency);
    try
    {
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            var n = await from.ReadAsync(buffer, token);
            chunks.Writer.TryWrite((Stopwatch.GetTimestamp() + delay, buffer, n));
            if (n == 0) break;
        }
    }
    catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { chunks.Writer.TryWrite((0, [], 0)); }
    chunks.Writer.TryComplete();
    await writer;
}
