using System.Text;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>Secrets stay secret: never in any output, and a config holding them should not be world-readable.</summary>
[Collection("s3")]
public sealed class SecurityTests(S3ServerFixture server)
{
    [Fact(Timeout = 120_000)]
    public async Task Secret_key_never_appears_in_any_output_even_at_trace_level()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("big.bin", new byte[9 * 1024 * 1024]);
        var gone = s.Write("gone.txt", "g");
        s.SiteConfig("retire_deleted: true", globals: "loglevel: trace");
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var all = new StringBuilder();
        async Task Run(params string[] args)
        {
            var r = await CliProcess.RunAsync(args);
            all.Append(r.Output).Append(r.Error);
            Assert.True(r.Output.Length + r.Error.Length > 0, $"s3sync {string.Join(' ', args)} printed nothing");
        }

        await Run("sync", "-c", s.ConfigPath);
        File.Delete(gone);
        s.Write("a.txt", "changed");
        await Run("sync", "-c", s.ConfigPath, "--dry-run");
        await Run("sync", "-c", s.ConfigPath, "--loglevel", "trace", "--log-format", "json");
        await Run("verify", "-c", s.ConfigPath, "--all", "--deep", "--download");
        await Run("verify", "-c", s.ConfigPath, "--json", "--all");
        await Run("--help");
        await Run("sync", "--help");
        await Run("verify", "--help");
        await Run("sync", "-c", s.ConfigPath, "--site", "nope");
        // A wrong secret: the server refuses every request, and the error paths print.
        var wrong = "wrong-secret-" + Guid.NewGuid().ToString("N");
        var wrongConfig = Path.Combine(s.Root, "wrong.yml");
        File.WriteAllText(wrongConfig, File.ReadAllText(s.ConfigPath).Replace(server.SecretKey, wrong, StringComparison.Ordinal));
        File.SetUnixFileMode(wrongConfig, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Run("sync", "-c", wrongConfig);
        await Run("verify", "-c", wrongConfig);

        var text = all.ToString();
        Assert.Contains("dbug: s3sync", text); // the detailed levels really were on
        Assert.DoesNotContain(server.SecretKey, text);
        Assert.DoesNotContain(wrong, text);
        // Nor any long piece of it (a secret cut in half is still a leak).
        Assert.DoesNotContain(server.SecretKey[..16], text);
    }

    [Fact]
    public async Task Config_holding_secrets_readable_by_group_or_others_gets_a_warning()
    {
        var dir = Path.Combine(Path.GetTempPath(), "s3sync-perm-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var withSecret = Path.Combine(dir, "secret.yml");
            File.WriteAllText(withSecret, "access_key: AKIAEXAMPLE\nsecret_access_key: example-secret\nsites:\n- local_path: /data\n  bucket: my-bucket\n");
            var without = Path.Combine(dir, "plain.yml");
            File.WriteAllText(without, "sites:\n- local_path: /data\n  bucket: my-bucket\n");
            const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;

            File.SetUnixFileMode(withSecret, Owner | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var open = await BadConfigTests.VerifyAsync(withSecret, "--site", "none");
            File.SetUnixFileMode(withSecret, Owner | UnixFileMode.GroupRead);
            var group = await BadConfigTests.VerifyAsync(withSecret, "--site", "none");
            File.SetUnixFileMode(withSecret, Owner);
            var closed = await BadConfigTests.VerifyAsync(withSecret, "--site", "none");
            File.SetUnixFileMode(without, Owner | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var plain = await BadConfigTests.VerifyAsync(without, "--site", "none");

            Assert.Contains($"s3sync: warning: {withSecret} holds secret keys and is readable by its group and everyone (mode 644); run: chmod 600 {withSecret}", open.Error);
            Assert.Contains("readable by its group (mode 640)", group.Error);
            Assert.DoesNotContain("warning", closed.Error);
            Assert.DoesNotContain("warning", plain.Error);
            Assert.DoesNotContain("example-secret", open.Error + group.Error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>TLS: certificates are verified, and a private CA comes in through SSL_CERT_FILE.</summary>
[Collection("s3")]
public sealed class TlsTests(S3ServerFixture server)
{
    private static System.Security.Cryptography.X509Certificates.X509Certificate2 SelfSigned(out string pem)
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=s3sync test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        pem = cert.ExportCertificatePem();
        return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(cert.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null);
    }

    [Fact(Timeout = 120_000)]
    public async Task Untrusted_certificate_is_refused_and_a_ca_given_by_SSL_CERT_FILE_is_trusted()
    {
        using var cert = SelfSigned(out var pem);
        using var proxy = new FaultProxy(server.Endpoint, cert);
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 0;
        s.Write("a.txt", "over TLS");
        s.SiteConfig();
        var caFile = Path.Combine(s.Root, "ca.pem");
        File.WriteAllText(caFile, pem);

        var refused = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.Contains("SSL", refused.Output);
        Assert.Empty(await s.KeysAsync());

        var trusted = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath], env: new Dictionary<string, string> { ["SSL_CERT_FILE"] = caFile });

        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Equal(["a.txt"], await s.KeysAsync());
    }
}
