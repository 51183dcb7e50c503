using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LogStore.Tests.Network;

/// <summary>Self-signed certificates made once per test run: a server's (CN=localhost) and a client's, each its own root.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> LazyServer = new(() => Create("CN=localhost", "1.3.6.1.5.5.7.3.1", dns: "localhost"));
    private static readonly Lazy<X509Certificate2> LazyClient = new(() => Create("CN=logstore-test-client", "1.3.6.1.5.5.7.3.2"));
    private static readonly Lazy<X509Certificate2> LazyStranger = new(() => Create("CN=stranger", "1.3.6.1.5.5.7.3.2"));

    public static X509Certificate2 Server => LazyServer.Value;

    /// <summary>A client certificate the listener trusts (it is in the trusted authorities).</summary>
    public static X509Certificate2 Client => LazyClient.Value;

    /// <summary>A client certificate nobody trusts.</summary>
    public static X509Certificate2 Stranger => LazyStranger.Value;

    private static X509Certificate2 Create(string subject, string extendedKeyUsage, string? dns = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], false));
        if (dns is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dns);
            request.CertificateExtensions.Add(names.Build());
        }
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }
}
