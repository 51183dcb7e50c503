using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary><c>logstore serve</c>'s peer TLS flags (<c>--peer-cert</c>, <c>--peer-key</c>, <c>--peer-ca</c>): each flag
/// without the ones it needs is a usage error, and a certificate that does not name this node is refused before
/// anything is served.</summary>
[TestFixture]
public sealed class ServePeerTlsTests : ToolTestBase
{
    private string _files = null!;

    [SetUp]
    public void CreateFilesDirectory() => _files = Directory.CreateTempSubdirectory("logstore-peertls-").FullName;

    [TearDown]
    public void DeleteFilesDirectory() => Directory.Delete(_files, recursive: true);

    [TestCase("--peer-cert", "--peer-cert needs --peer-ca")]
    [TestCase("--peer-ca", "--peer-ca needs --peer-cert")]
    [TestCase("--peer-key", "--peer-key needs --peer-cert")]
    public async Task Serve_PeerFlagWithoutTheOneItNeeds_IsAUsageError(string flag, string error)
    {
        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", flag, "x.pem");

        AssertOneErrorLine(run, 2, error);
    }

    [Test]
    public async Task Serve_PeerTlsWithoutACluster_IsAUsageError()
    {
        (string cert, string ca) = WriteNodeCertificate(0);

        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:0", "--peer-cert", cert, "--peer-ca", ca);

        AssertOneErrorLine(run, 2, "--peer-cert is for a cluster node");
    }

    [Test]
    public async Task Serve_PeerTlsWithoutListenerTls_IsAUsageError()
    {
        (string cert, string ca) = WriteNodeCertificate(0);

        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:19092", "--node-id", "0", "--peers", "0@127.0.0.1:19092",
            "--peer-cert", cert, "--peer-ca", ca);

        AssertOneErrorLine(run, 2, "--peer-cert needs --tls-cert");
    }

    [Test]
    public async Task Serve_PeerCertificateNamingAnotherNode_IsRefusedBeforeServing()
    {
        (string cert, string ca) = WriteNodeCertificate(1);

        CliRun run = await Cli.RunAsync("serve", "--data", Data, "--listen", "127.0.0.1:19092", "--node-id", "0", "--peers", "0@127.0.0.1:19092",
            "--tls-cert", cert, "--peer-cert", cert, "--peer-ca", ca);

        AssertOneErrorLine(run, 2, "does not name node 0");
    }

    /// <summary>Writes an authority's PEM and, issued by it, node <paramref name="nodeId"/>'s certificate with its key in
    /// one PEM file.</summary>
    private (string Certificate, string Authority) WriteNodeCertificate(int nodeId)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test-peer-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=node-{nodeId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using X509Certificate2 node = request.Create(ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4]);

        string certificate = Path.Combine(_files, "node.pem");
        File.WriteAllText(certificate, node.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        string authority = Path.Combine(_files, "ca.pem");
        File.WriteAllText(authority, ca.ExportCertificatePem());
        return (certificate, authority);
    }
}
