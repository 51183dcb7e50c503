using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// Certificates for peer TLS, made once per test run: a cluster authority and, issued by it, a certificate per node
/// (<c>CN=node-&lt;id&gt;</c>, both TLS usages); a stranger authority issuing its own <c>node-1</c>; a trusted
/// certificate naming no node.
/// </summary>
internal static class PeerTestCertificates
{
    private static readonly Lazy<X509Certificate2> LazyAuthority = new(() => CreateAuthority("CN=logstore-test-cluster-ca"));
    private static readonly Lazy<X509Certificate2> LazyStrangerAuthority = new(() => CreateAuthority("CN=stranger-ca"));
    private static readonly Lazy<X509Certificate2>[] LazyNodes = [.. Enumerable.Range(0, 8).Select(i => new Lazy<X509Certificate2>(() => Issue(Authority, PeerTlsOptions.NodeName(i))))];
    private static readonly Lazy<X509Certificate2> LazyStrangerNode1 = new(() => Issue(LazyStrangerAuthority.Value, "node-1"));
    private static readonly Lazy<X509Certificate2> LazyNoNode = new(() => Issue(Authority, "some-client"));

    public static X509Certificate2 Authority => LazyAuthority.Value;

    /// <summary>Node <paramref name="id"/>'s certificate (ids 0-7), issued by <see cref="Authority"/>.</summary>
    public static X509Certificate2 Node(int id) => LazyNodes[id].Value;

    /// <summary>A certificate named node-1, issued by an authority nobody trusts.</summary>
    public static X509Certificate2 StrangerNode1 => LazyStrangerNode1.Value;

    /// <summary>A certificate the cluster's authority issued, naming no node.</summary>
    public static X509Certificate2 NoNode => LazyNoNode.Value;

    public static PeerTlsOptions Options(int node) => new()
    {
        Certificate = Node(node),
        TrustedCertificateAuthorities = [X509CertificateLoader.LoadCertificate(Authority.RawData)],
    };

    private static X509Certificate2 CreateAuthority(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(8);
        using X509Certificate2 issued = request.Create(authority, now.AddDays(-1), now.AddDays(29), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        // Ephemeral keys cannot always be used by SslStream on every platform: a PKCS#12 round trip makes them usable.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
