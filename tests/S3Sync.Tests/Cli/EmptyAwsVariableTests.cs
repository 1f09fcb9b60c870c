using System.Net;
using System.Net.Sockets;
using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// An AWS variable that is set but empty or blank (a template left blank in a compose file or a manifest) counts as unset:
/// s3sync goes to AWS's own endpoint in the default region. AWS is out of reach here, so an
/// HTTPS proxy on loopback records where the published binary connects, and refuses it.
/// </summary>
public sealed class EmptyAwsVariableTests
{
    [Theory]
    [InlineData("AWS_ENDPOINT_URL")]
    [InlineData("AWS_ENDPOINT_URL_S3")]
    [InlineData("AWS_REGION")]
    [InlineData("AWS_DEFAULT_REGION")]
    [InlineData("AWS_PROFILE")]
    [InlineData("AWS_ENDPOINT_URL", " ")]
    [InlineData("AWS_REGION", " ")]
    public async Task Empty_variable_counts_as_unset(string variable, string value = "")
    {
        var dir = Directory.CreateTempSubdirectory("s3sync-empty-var-").FullName;
        File.WriteAllText(Path.Combine(dir, "a.txt"), "a");
        using var proxy = new TcpListener(IPAddress.Loopback, 0);
        proxy.Start();
        try
        {
            // Given the variable set to nothing, and a proxy in the way
            var env = new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE",
                ["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ["HTTPS_PROXY"] = $"http://127.0.0.1:{((IPEndPoint)proxy.LocalEndpoint).Port}",
                [variable] = value,
            };

            // When verify runs in the ad-hoc form
            var run = Binary.RunAsync(["verify", dir, "s3://example-bucket/p"], env);
            var first = proxy.AcceptTcpClientAsync();
            var done = await Task.WhenAny(first, run);

            // Then its first request goes to AWS's endpoint for the bucket, in us-east-1
            Assert.True(done == first, $"s3sync never connected:\n{(done == run ? await run : null)}");
            using (var client = await first)
            {
                var request = await new StreamReader(client.GetStream(), Encoding.ASCII).ReadLineAsync();
                Assert.Equal("CONNECT example-bucket.s3.us-east-1.amazonaws.com:443 HTTP/1.1", request);
            }
            proxy.Stop(); // later attempts are refused: the run ends as "could not finish" (exit 3)
            Assert.Equal(3, (await run).ExitCode);
        }
        finally
        {
            proxy.Stop();
            Directory.Delete(dir, recursive: true);
        }
    }
}
