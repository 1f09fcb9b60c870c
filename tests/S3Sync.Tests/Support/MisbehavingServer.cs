using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using S3Sync.Remote;

namespace S3Sync.Tests.Support;

/// <summary>What <see cref="MisbehavingServer"/> does with one request.</summary>
public abstract record Misbehaviour
{
    /// <summary>A complete answer.</summary>
    public sealed record Answer(int Status, string Body, string ContentType = "application/xml", IReadOnlyDictionary<string, string>? Headers = null) : Misbehaviour;

    /// <summary>The headers (announcing <paramref name="DeclaredLength"/> bytes), the first <paramref name="Sent"/> bytes of the body, then nothing: the connection stays open.</summary>
    public sealed record StallBody(int Sent, int DeclaredLength = 5000) : Misbehaviour;

    /// <summary>The request is read and never answered: the connection stays open.</summary>
    public sealed record Silence : Misbehaviour;

    /// <summary>A 200 with an ETag that is the body's MD5: an accepted PUT.</summary>
    public sealed record AcceptPut : Misbehaviour;

    /// <summary>An object's bytes and headers, a 206 of the asked range when the request has a <c>Range</c> header;
    /// with <paramref name="StallAfter"/>, only that many bytes of the answer are sent, then nothing; with
    /// <paramref name="IgnoreRange"/>, the whole object with a 200 whatever was asked.</summary>
    public sealed record Object(byte[] Body, IReadOnlyDictionary<string, string>? Headers = null, int? StallAfter = null, bool IgnoreRange = false) : Misbehaviour;
}

/// <summary>
/// A small S3-shaped HTTP server on loopback that answers as a broken or hostile server would: listings that never
/// end, bodies that stall, requests never answered (<see cref="Behave"/> decides per request). A held connection
/// costs no thread: it awaits the server's stop. One request per connection (<c>Connection: close</c>).
/// </summary>
public sealed class MisbehavingServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];

    public MisbehavingServer(Func<string, string, Misbehaviour> behave)
    {
        Behave = behave;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Given the method and the request target (path and query): what to do.</summary>
    public Func<string, string, Misbehaviour> Behave { get; set; }

    /// <summary>Every request seen: method and target, in arrival order.</summary>
    public ConcurrentQueue<(string Method, string Target)> Requests { get; } = new();

    /// <summary>The <c>Range</c> header of every request that had one, in arrival order.</summary>
    public ConcurrentQueue<string> Ranges { get; } = new();

    public int Count(string method, string targetContains) =>
        Requests.Count(r => r.Method == method && r.Target.Contains(targetContains, StringComparison.Ordinal));

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _clients.Add(client);
            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var (head, extra) = await ReadHeadAsync(stream);
            if (head is null) return;
            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            var (method, target) = (parts[0], parts.Length > 1 ? parts[1] : "");
            Requests.Enqueue((method, target));
            var range = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Range", StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault();
            if (range is not null) Ranges.Enqueue(range);
            var body = await ReadBodyAsync(stream, lines, extra);
            switch (Behave(method, target))
            {
                case Misbehaviour.Answer a:
                    await WriteAsync(stream, a.Status, a.ContentType, Encoding.UTF8.GetBytes(a.Body), a.Headers);
                    break;
                case Misbehaviour.AcceptPut:
                    await WriteAsync(stream, 200, "application/xml", [], new Dictionary<string, string> { ["ETag"] = $"\"{Convert.ToHexStringLower(MD5.HashData(body))}\"" });
                    break;
                case Misbehaviour.StallBody s:
                    var xml = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix>" + new string(' ', s.DeclaredLength));
                    var headers = $"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {s.DeclaredLength}\r\nx-amz-request-id: stall\r\n\r\n";
                    await stream.WriteAsync(Encoding.Latin1.GetBytes(headers), _stop.Token);
                    await stream.WriteAsync(xml.AsMemory(0, s.Sent), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    break;
                case Misbehaviour.Silence:
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    break;
                case Misbehaviour.Object o:
                    await WriteObjectAsync(stream, o, o.IgnoreRange ? null : range);
                    break;
            }
        }
        catch (Exception)
        {
            // the client gave up, or the server stops
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task WriteAsync(NetworkStream stream, int status, string contentType, byte[] body, IReadOnlyDictionary<string, string>? extra)
    {
        var head = new StringBuilder($"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\nx-amz-request-id: misbehaving\r\n");
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) head.Append(k).Append(": ").Append(v).Append("\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
        await stream.FlushAsync(_stop.Token);
    }

    private async Task WriteObjectAsync(NetworkStream stream, Misbehaviour.Object o, string? range)
    {
        long from = 0, to = o.Body.Length - 1;
        if (range is not null)
        {
            var span = range["bytes=".Length..].Split('-');
            from = long.Parse(span[0], System.Globalization.CultureInfo.InvariantCulture);
            if (span[1].Length > 0) to = Math.Min(to, long.Parse(span[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        var length = (int)(to - from + 1);
        var head = new StringBuilder(range is null ? "HTTP/1.1 200 OK\r\n" : $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{to}/{o.Body.Length}\r\n");
        head.Append($"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close\r\nx-amz-request-id: misbehaving\r\n");
        foreach (var (k, v) in o.Headers ?? new Dictionary<string, string>()) head.Append(k).Append(": ").Append(v).Append("\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), _stop.Token);
        await stream.WriteAsync(o.Body.AsMemory((int)from, Math.Min(length, o.StallAfter ?? length)), _stop.Token);
        await stream.FlushAsync(_stop.Token);
        if (o.StallAfter is not null) await Task.Delay(Timeout.Infinite, _stop.Token);
    }

    private async Task<byte[]> ReadBodyAsync(NetworkStream stream, string[] lines, byte[] extra)
    {
        var length = lines.Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        if (lines.Any(l => l.StartsWith("Expect:", StringComparison.OrdinalIgnoreCase)) && length > extra.Length)
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stop.Token);
        var body = new byte[length];
        extra.AsSpan(0, Math.Min(extra.Length, length)).CopyTo(body);
        var filled = Math.Min(extra.Length, length);
        while (filled < length)
        {
            var r = await stream.ReadAsync(body.AsMemory(filled), _stop.Token);
            if (r == 0) break;
            filled += r;
        }
        return body;
    }

    private async Task<(string? Head, byte[] Extra)> ReadHeadAsync(NetworkStream stream)
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

    /// <summary>A ListObjectsV2 page: no keys, truncated, always the same continuation token.</summary>
    public static Misbehaviour LoopingListing(string bucket) => new Misbehaviour.Answer(200,
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>same-token</NextContinuationToken></ListBucketResult>");

    /// <summary>An empty ListObjectsV2 page that ends the listing.</summary>
    public static Misbehaviour EmptyListing(string bucket) => new Misbehaviour.Answer(200,
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{bucket}</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated></ListBucketResult>");

    /// <summary>A ListMultipartUploads page: no uploads, truncated, and no marker to go on from.</summary>
    public static Misbehaviour MarkerlessUploads(string bucket) => new Misbehaviour.Answer(200,
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>{bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>");

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _clients) c.Dispose();
        _stop.Dispose();
    }
}
