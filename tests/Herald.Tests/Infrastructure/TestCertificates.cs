using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Herald.Tests.Infrastructure;

/// <summary>A test certificate authority made in the test run, and a server certificate it issued for the pinned hosts.</summary>
public static class TestCertificates
{
    public static readonly string[] Hosts =
    [
        "hooks.slack.com", "discord.com", "discordapp.com", "hooks.zapier.com", "prod-01.westus.logic.azure.com",
        "receiver.test", "fast.test", "rebind.example.com", "localhost",
    ];

    private static readonly Lazy<(X509Certificate2 Ca, byte[] ServerPfx, string CaPemPath)> Made = new(Make);

    /// <summary>A fresh instance each time: X509Certificate2 objects are not safe to share between servers starting in parallel.</summary>
    public static X509Certificate2 Server => X509CertificateLoader.LoadPkcs12(Made.Value.ServerPfx, null);
    public static string CaPemPath => Made.Value.CaPemPath;

    /// <summary>A self-signed server certificate no CA vouches for, to provoke tls_error.</summary>
    public static X509Certificate2 Untrusted() => Issue(null, "untrusted");

    private static (X509Certificate2, byte[], string) Make()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Herald Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));

        var server = Issue(ca, "herald-test-receiver");
        var path = Path.Combine(Path.GetTempPath(), $"herald-test-ca-{Environment.ProcessId}.pem");
        File.WriteAllText(path, ca.ExportCertificatePem());
        return (ca, server.Export(X509ContentType.Pfx), path);
    }

    private static X509Certificate2 Issue(X509Certificate2? ca, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var host in Hosts) san.AddDnsName(host);
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddMonths(6);
        X509Certificate2 certificate;
        if (ca is null)
        {
            certificate = request.CreateSelfSigned(notBefore, notAfter);
        }
        else
        {
            using var issued = request.Create(ca, notBefore, notAfter, RandomNumberGenerator.GetBytes(12));
            certificate = issued.CopyWithPrivateKey(key);
        }
        // Re-load through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
