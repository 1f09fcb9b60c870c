using System.Net;

namespace S3Sync.Remote;

/// <summary>Gives the SDK HttpClients that go through <see cref="DeadlineHandler"/> (timeouts are the attempt's, not HttpClient's).</summary>
public sealed class DeadlineHttpClientFactory(int connections) : Amazon.Runtime.HttpClientFactory
{
    public override HttpClient CreateHttpClient(Amazon.Runtime.IClientConfig clientConfig) =>
        new(DeadlineHandler.Create(clientConfig.MaxConnectionsPerServer ?? connections)) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
}
