using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace S3Sync.Tests.Support;

/// <summary>A self-signed CA certificate for 127.0.0.1, for a TLS endpoint in front of the test server.</summary>
public static class TestCertificate
{
    public static X509Certificate2 Create(out string pem)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=s3sync test CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        pem = cert.ExportCertificatePem();
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }
}
