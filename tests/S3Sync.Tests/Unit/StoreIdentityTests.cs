using S3Sync.Config;

namespace S3Sync.Tests.Unit;

public sealed class StoreIdentityTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9000", "http://localhost:9000/")]
    [InlineData("http://LOCALHOST:9000", "http://[::1]:9000")]
    [InlineData("http://127.0.0.2:9000", "http://localhost:9000")]
    [InlineData("https://minio.example.com", "https://MINIO.example.com:443/")]
    [InlineData("http://minio.example.com", "http://minio.example.com:80")]
    [InlineData("http://minio.example.com.", "http://minio.example.com")]
    [InlineData(null, "https://s3.amazonaws.com")]
    [InlineData(null, "https://s3.eu-west-1.amazonaws.com/")]
    [InlineData("https://s3-us-west-2.amazonaws.com", "")]
    public void Spellings_of_one_server_have_one_identity(string? a, string? b) =>
        Assert.Equal(StoreIdentity.Of(a), StoreIdentity.Of(b));

    [Theory]
    [InlineData("http://127.0.0.1:9000", "http://127.0.0.1:9001")]
    [InlineData("http://127.0.0.1:9000", "https://127.0.0.1:9000")]
    [InlineData("http://minio-a.example.com", "http://minio-b.example.com")]
    [InlineData(null, "http://localhost:9000")]
    [InlineData("http://10.0.0.1:9000", "http://127.0.0.1:9000")]
    public void Different_servers_differ(string? a, string? b) =>
        Assert.NotEqual(StoreIdentity.Of(a), StoreIdentity.Of(b));
}
