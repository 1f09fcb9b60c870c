using System.Globalization;
using System.Net.Sockets;
using System.Text;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Unit;

/// <summary>The status server keeps answering after accept errors (through its accept seam).</summary>
public sealed class StatusServerTests
{
    [Theory]
    [InlineData(SocketError.TooManyOpenSockets)] // EMFILE
    [InlineData(SocketError.ConnectionAborted)]  // ECONNABORTED
    public async Task Healthz_answers_again_after_failed_accepts(SocketError error)
    {
        var log = new ListLogger();
        var failing = 3;
        await using var http = new StatusServer("127.0.0.1", 0, () => true, () => "", log)
        {
            Accept = (listener, ct) => Interlocked.Decrement(ref failing) >= 0
                ? ValueTask.FromException<Socket>(new SocketException((int)error))
                : listener.AcceptSocketAsync(ct),
            MaxAcceptBackoff = TimeSpan.FromMilliseconds(100),
        };
        http.Start();

        var (status, body) = await GetAsync(http.Port, "/healthz");

        Assert.Equal(200, status);
        Assert.Equal("ok\n", body);
        Assert.Single(log.Lines, l => l.Contains("accept failed", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("accepting again after 3 failed accepts", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Healthz_names_each_unhealthy_site_in_the_503_body()
    {
        await using var http = new StatusServer("127.0.0.1", 0, () => false, () => "", new ListLogger(), () => "not ready: site www: 3 deletions held by max_delete");
        http.Start();

        var (status, body) = await GetAsync(http.Port, "/healthz");

        Assert.Equal(503, status);
        Assert.Equal("not ready: site www: 3 deletions held by max_delete\n", body);
    }

    private static async Task<(int Status, string Body)> GetAsync(int port, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var response = await new StreamReader(stream).ReadToEndAsync();
        var status = int.Parse(response.Split(' ')[1], CultureInfo.InvariantCulture);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
