using Amazon.Runtime.CredentialManagement;
using S3Sync.Config;

namespace S3Sync.Tests.Unit;

/// <summary>The AWS variables and profile settings the SDK leaves to us, always below the file's own keys.</summary>
public class AwsEnvironmentTests
{
    public static TheoryData<string, string?, string?, string?, string?, string?, string?> Cases => new()
    {
        // variables (k=v;k=v), profile endpoint, file endpoint, file region, expected endpoint, expected region, expected endpoint origin
        { "AWS_ENDPOINT_URL_S3=http://s3:1;AWS_ENDPOINT_URL=http://all:2", null, null, null, "http://s3:1", null, "AWS_ENDPOINT_URL_S3" },
        { "AWS_ENDPOINT_URL=http://all:2", "http://profile:3", null, null, "http://all:2", null, "AWS_ENDPOINT_URL" },
        { "", "http://profile:3", null, null, "http://profile:3", null, "profile default endpoint_url" },
        { "AWS_ENDPOINT_URL_S3=http://s3:1", null, "http://file:4", null, "http://file:4", null, null },
        { "AWS_ENDPOINT_URL_S3=http://s3:1;AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true", "http://profile:3", null, null, null, null, null },
        { "AWS_REGION=eu-west-3;AWS_DEFAULT_REGION=eu-west-2", null, null, null, null, "eu-west-3", null },
        { "AWS_DEFAULT_REGION=eu-west-2", null, null, null, null, "eu-west-2", null },
        { "AWS_DEFAULT_REGION=eu-west-2", null, null, "ap-south-1", null, "ap-south-1", null },
        { "", null, null, null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fills_endpoint_and_region_only_where_the_file_leaves_them_unset(string variables, string? profileEndpoint, string? fileEndpoint, string? fileRegion, string? endpoint, string? region, string? endpointOrigin)
    {
        var env = variables.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var profile = profileEndpoint is null ? null : new CredentialProfile("default", new CredentialProfileOptions()) { EndpointUrl = profileEndpoint };
        var environment = new AwsEnvironment(name => env.GetValueOrDefault(name), _ => profile);
        var document = new ConfigDocument { Endpoint = fileEndpoint, AwsRegion = fileRegion };

        var origin = environment.Apply(document);

        Assert.Equal(endpoint ?? fileEndpoint, document.Endpoint);
        Assert.Equal(region, document.AwsRegion);
        Assert.Equal(endpointOrigin, origin.GetValueOrDefault("endpoint"));
    }

    [Fact]
    public void An_endpoint_from_the_environment_gets_path_style_like_one_in_the_file()
    {
        var environment = new AwsEnvironment(name => name == "AWS_ENDPOINT_URL_S3" ? "http://127.0.0.1:9000" : null, _ => null);
        var (document, lines) = ConfigLoader.Parse("sites:\n- local_path: /d\n  bucket: b-1\n", "test.yml");

        environment.Apply(document);
        var site = ConfigLoader.Resolve(document, "test.yml", lines).Sites[0];

        Assert.Equal("http://127.0.0.1:9000", site.Endpoint);
        Assert.True(site.ForcePathStyle);
    }
}
