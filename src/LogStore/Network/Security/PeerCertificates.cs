using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace LogStore.Network.Security;

/// <summary>
/// The peer-TLS rules of one node (<see cref="PeerTlsOptions"/>): which node a certificate names (its subject's common
/// name, <c>node-&lt;id&gt;</c>), whether it chains to the peers' trusted authorities (only those, never the OS's store),
/// and the TLS options this node dials a peer with. Thread-safe: immutable after construction.
/// </summary>
internal sealed class PeerCertificates
{
    private const string NamePrefix = "node-";
    private readonly PeerTlsOptions _options;
    private readonly HashSet<int> _nodeIds;

    public PeerCertificates(PeerTlsOptions options, IEnumerable<int> nodeIds)
    {
        _options = options;
        _nodeIds = [.. nodeIds];
        // Sent as is: with a context the certificate goes out whatever issuers the server says it accepts, so that a
        // refusal is the server's decision, logged there, not a silent omission here.
        CertificateContext = SslStreamCertificateContext.Create(options.Certificate, additionalCertificates: null, offline: true);
    }

    public X509Certificate2 Certificate => _options.Certificate;

    public SslStreamCertificateContext CertificateContext { get; }

    public TimeSpan HandshakeTimeout => _options.HandshakeTimeout;

    public X509Certificate2Collection Authorities => _options.TrustedCertificateAuthorities;

    /// <summary>The node id <paramref name="certificate"/> names: its subject CN <c>node-&lt;id&gt;</c>, the id in plain
    /// decimal (no sign, no leading zero); null when it names none.</summary>
    public static int? NodeIdOf(X509Certificate? certificate)
    {
        if (certificate is null)
            return null;
        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        string name = (owned ?? (X509Certificate2)certificate).GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!name.StartsWith(NamePrefix, StringComparison.Ordinal))
            return null;
        ReadOnlySpan<char> digits = name.AsSpan(NamePrefix.Length);
        if (digits.Length == 0 || (digits[0] == '0' && digits.Length > 1))
            return null;
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
                return null;
        }
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? id : null;
    }

    /// <summary>A fresh chain policy trusting exactly the peers' authorities (SslStream keeps what it is given).</summary>
    public X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(_options.TrustedCertificateAuthorities);
        return policy;
    }

    /// <summary>Whether <paramref name="certificate"/> chains to one of the trusted authorities; why not otherwise.</summary>
    public bool IsTrusted(X509Certificate2 certificate, out string? why)
    {
        using var chain = new X509Chain { ChainPolicy = ChainPolicy() };
        try
        {
            if (chain.Build(certificate))
            {
                why = null;
                return true;
            }
            why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).DefaultIfEmpty("no chain"));
            return false;
        }
        finally
        {
            foreach (X509ChainElement element in chain.ChainElements)
                element.Certificate.Dispose();
        }
    }

    /// <summary>The node a client certificate proves to be: trusted, and naming one of this cluster's nodes; null, with
    /// the refusal's reason, otherwise.</summary>
    public int? Identify(X509Certificate? certificate, out string? refusal)
    {
        if (certificate is not X509Certificate2 presented)
        {
            refusal = "the peer sent no certificate, and peer TLS requires one";
            return null;
        }
        if (!IsTrusted(presented, out string? why))
        {
            refusal = $"the certificate '{presented.Subject}' is not issued by a trusted peer authority ({why})";
            return null;
        }
        if (NodeIdOf(presented) is not int id)
        {
            refusal = $"the certificate '{presented.Subject}' names no node (CN={NamePrefix}<id> expected)";
            return null;
        }
        if (!_nodeIds.Contains(id))
        {
            refusal = $"the certificate '{presented.Subject}' names node {id}, not a node of this cluster";
            return null;
        }
        refusal = null;
        return id;
    }

    /// <summary>How this node dials <paramref name="nodeId"/>: SNI <c>node-&lt;id&gt;</c> (a Kafka listener answers it with
    /// the node's peer certificate), this node's certificate, and only a trusted server certificate naming that node
    /// accepted; <paramref name="refused"/> hears why one was not.</summary>
    public SslClientAuthenticationOptions ClientOptions(int nodeId, Action<string> refused) => new()
    {
        TargetHost = PeerTlsOptions.NodeName(nodeId),
        ClientCertificateContext = CertificateContext,
        CertificateChainPolicy = ChainPolicy(),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            // The name is checked by the rule below (CN), not by the host-name match TargetHost would ask for.
            string? why = certificate is null ? "the peer sent no certificate"
                : (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) != SslPolicyErrors.None
                    ? $"the certificate '{certificate.Subject}' is not trusted ({errors})"
                : NodeIdOf(certificate) != nodeId ? $"the certificate '{certificate.Subject}' does not name node {nodeId}"
                : null;
            if (why is not null)
                refused(why);
            return why is null;
        },
    };
}
