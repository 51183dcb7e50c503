using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using LogStore.Network.Client;
using LogStore.Network.Security;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>Peer TLS (<see cref="PeerTlsOptions"/>): three nodes replicate with every inter-node connection under
/// mutual TLS, also when their listeners require SASL of clients (a node is authenticated by its certificate), and a peer with an untrusted certificate, none, or another node's id is refused on the Raft link and on
/// the inter-node Kafka APIs, logged.</summary>
[TestFixture]
[CancelAfter(60_000)]
public class PeerTlsTests
{
    private const int TlsRefused = 5010;
    private const int InterNodeRefused = 5019;
    private const int PeerRefused = 5020;

    [Test]
    public async Task ThreeNodes_RegisterAndReplicate_OverPeerTls(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken, peerTls: PeerTestCertificates.Options);
        await ReplicateFiveRecordsAsync(cluster, cancellationToken);
        Assert.That(cluster.Logs.Entries.Where(e => e.EventId.Id is TlsRefused or InterNodeRefused or PeerRefused).Select(e => e.Message),
            Is.Empty, "no peer was refused");
    }

    [TestCase("stranger", "not issued by a trusted peer authority")]
    [TestCase("none", "sent no certificate")]
    [TestCase("node-7", "names node 7, not a node of this cluster")]
    [TestCase("no-node", "names no node")]
    public async Task TheRaftLink_RefusesAPeer_WithoutATrustedCertificateNamingANode(string presented, string reason, CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken, peerTls: PeerTestCertificates.Options);
        X509Certificate2? certificate = presented switch
        {
            "stranger" => PeerTestCertificates.StrangerNode1,
            "node-7" => PeerTestCertificates.Node(7),
            "no-node" => PeerTestCertificates.NoNode,
            _ => null,
        };
        EndPoint controller = cluster.Nodes[0].ResolvedControllerEndpoint;

        await Assert.ThatAsync(() => ExchangeAsync(cluster.Network, controller, PeerTlsOptions.NodeName(0), certificate, cancellationToken), Is.False,
            "the refused peer got no byte through");
        CapturingLoggerFactory.LogEntry refusal = await WaitForLogAsync(cluster.Logs, TlsRefused, reason, cancellationToken);
        Assert.That(refusal.Message, Does.Contain(reason));
    }

    [Test]
    public async Task TheRaftLink_AcceptsAPeer_WithItsNodeCertificate(CancellationToken cancellationToken)
    {
        // The control case of the refusals above: the same probe with a good certificate reaches the controller.
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken, peerTls: PeerTestCertificates.Options);
        EndPoint controller = cluster.Nodes[0].ResolvedControllerEndpoint;
        Assert.That(await ExchangeAsync(cluster.Network, controller, PeerTlsOptions.NodeName(0), PeerTestCertificates.Node(1), cancellationToken,
            keptFor: TimeSpan.FromMilliseconds(500)), Is.True);
    }

    [Test]
    public async Task TheInterNodeApis_AreRefused_ForAnotherNodesIdOrWithoutAPeerCertificate(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken, peerTls: PeerTestCertificates.Options);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);

        await using (KafkaClientConnection asNode1 = await ConnectKafkaAsync(cluster, 0, PeerTestCertificates.Node(1), cancellationToken))
        {
            // Node 1's certificate speaking for node 2: every inter-node API refuses.
            Assert.That((await FetchAsync(asNode1, replicaId: 2, cancellationToken)).ErrorCode, Is.EqualTo(ErrorCode.ClusterAuthorizationFailed));
            var epochs = await asNode1.SendAsync<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(new OffsetForLeaderEpochRequest
            {
                ReplicaId = 2,
                Topics = [new OffsetForLeaderEpochRequest.Topic { Name = "t", Partitions = [new OffsetForLeaderEpochRequest.Partition { LeaderEpoch = 0 }] }],
            }, 4, TimeSpan.FromSeconds(10), cancellationToken);
            Assert.That(epochs.Topics.Single().Partitions.Single().ErrorCode, Is.EqualTo(ErrorCode.ClusterAuthorizationFailed));
            var heartbeat = await asNode1.SendAsync<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(new BrokerHeartbeatRequest { BrokerId = 2 }, 0,
                TimeSpan.FromSeconds(10), cancellationToken);
            Assert.That(heartbeat.ErrorCode, Is.EqualTo(ErrorCode.ClusterAuthorizationFailed));
            var alter = await asNode1.SendAsync<AlterPartitionRequest, AlterPartitionResponse>(new AlterPartitionRequest { BrokerId = 2 }, 0,
                TimeSpan.FromSeconds(10), cancellationToken);
            Assert.That(alter.ErrorCode, Is.EqualTo(ErrorCode.ClusterAuthorizationFailed));

            // Speaking for itself, it is served.
            Assert.That((await FetchAsync(asNode1, replicaId: 1, cancellationToken)).ErrorCode, Is.EqualTo(ErrorCode.None));
        }
        await WaitForLogAsync(cluster.Logs, InterNodeRefused, "certificate names node 1", cancellationToken);

        // Without a certificate, or with an untrusted one (a plain client to the listener), a replica id is refused too.
        foreach (X509Certificate2? certificate in new[] { null, PeerTestCertificates.StrangerNode1 })
        {
            await using KafkaClientConnection client = await ConnectKafkaAsync(cluster, 0, certificate, cancellationToken);
            Assert.That((await FetchAsync(client, replicaId: 1, cancellationToken)).ErrorCode, Is.EqualTo(ErrorCode.ClusterAuthorizationFailed),
                certificate?.Subject ?? "no certificate");
            Assert.That((await FetchAsync(client, replicaId: -1, cancellationToken)).ErrorCode, Is.EqualTo(ErrorCode.None),
                "a consumer's fetch is none of peer TLS's business");
        }
        await WaitForLogAsync(cluster.Logs, InterNodeRefused, "no peer certificate", cancellationToken);
    }

    [Test]
    public async Task DialingANode_RefusesAServerCertificateNamingAnotherNode(CancellationToken cancellationToken)
    {
        var network = new InMemoryNetwork();
        var logs = new CapturingLoggerFactory();
        var node1 = new IPEndPoint(IPAddress.Loopback, 39092);
        // An impostor at node 1's address, holding node 2's (trusted) certificate.
        var impostor = new TlsConnectionAdapter(new KafkaListenerTlsOptions { ServerCertificate = PeerTestCertificates.Node(2) }, TimeProvider.System,
            logs.CreateLogger("impostor"));
        await using var listener = await new TlsConnectionListenerFactory(network, impostor).BindAsync(node1, cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task accepting = Task.Run(async () => await listener.AcceptAsync(stop.Token), cancellationToken);
        var peers = new PeerCertificates(PeerTestCertificates.Options(0), [0, 1, 2]);
        var dialer = new PeerTlsConnectionFactory(network, peers, new Dictionary<EndPoint, int> { [node1] = 1 }, logs.CreateLogger("dialer"));

        Assert.That(async () => await dialer.ConnectAsync(node1, cancellationToken), Throws.InstanceOf<System.Security.Authentication.AuthenticationException>());
        Assert.That(logs.WithId(PeerRefused).Select(e => e.Message), Has.Some.Contains("does not name node 1"));
        stop.Cancel();
        try
        {
            await accepting;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Test]
    public void PeerTls_IsRefusedAtOpen_WithoutListenerTlsOrWithACertificateNamingAnotherNode()
    {
        using var directory = new TempDirectory();
        var nodes = new[] { new ClusterNode(0, new IPEndPoint(IPAddress.Loopback, 49092)), new ClusterNode(1, new IPEndPoint(IPAddress.Loopback, 49102)) };
        BrokerOptions Options(PeerTlsOptions peerTls, bool listenerTls) => new()
        {
            DataDirectory = directory.Path,
            KafkaListener = new KafkaListenerOptions
            {
                Endpoint = nodes[0].Endpoint,
                Tls = listenerTls ? new KafkaListenerTlsOptions { ServerCertificate = LogStore.Tests.Network.TestCertificates.Server } : null,
            },
            Replication = new ReplicationOptions { NodeId = 0, Nodes = nodes, PeerTls = peerTls },
        };

        Assert.That(async () => await Broker.OpenAsync(Options(PeerTestCertificates.Options(0), listenerTls: false)),
            Throws.ArgumentException.With.Message.Contains("TLS on the Kafka listener"));
        Assert.That(async () => await Broker.OpenAsync(Options(PeerTestCertificates.Options(1), listenerTls: true)),
            Throws.ArgumentException.With.Message.Contains("does not name node 0"));
        var stranger = new PeerTlsOptions
        {
            Certificate = PeerTestCertificates.Node(0),
            TrustedCertificateAuthorities = [X509CertificateLoader.LoadCertificate(PeerTestCertificates.StrangerNode1.RawData)],
        };
        Assert.That(async () => await Broker.OpenAsync(Options(stranger, listenerTls: true)),
            Throws.ArgumentException.With.Message.Contains("does not chain to the trusted authorities"));
    }

    [Test]
    public void SaslOnTheListenerOfAReplicatedStore_WithoutPeerTls_IsRefusedAtOpen()
    {
        // The nodes reach each other through their listeners without SASL: with it required and no peer certificates
        // to authenticate them, no node would ever follow.
        using var directory = new TempDirectory();
        var nodes = new[] { new ClusterNode(0, new IPEndPoint(IPAddress.Loopback, 49092)), new ClusterNode(1, new IPEndPoint(IPAddress.Loopback, 49102)) };
        var options = new BrokerOptions
        {
            DataDirectory = directory.Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = nodes[0].Endpoint, Sasl = Sasl() },
            Replication = new ReplicationOptions { NodeId = 0, Nodes = nodes },
        };

        Assert.That(async () => await Broker.OpenAsync(options), Throws.ArgumentException.With.Message.Contains("needs ReplicationOptions.PeerTls"));
        Assert.That(Directory.EnumerateFileSystemEntries(directory.Path), Is.Empty, "refused before anything was written");
    }

    [Test]
    public async Task WithSaslOnTheListeners_TheNodesReplicateByTheirCertificates_AndAClientMustStillAuthenticate(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken, peerTls: PeerTestCertificates.Options, listenerSasl: Sasl());
        int leader = await ReplicateFiveRecordsAsync(cluster, cancellationToken);

        // A client with TLS but no peer certificate and no SASL gets nothing but the handshake's APIs: its fetch closes
        // the connection.
        await using KafkaClientConnection client = await ConnectKafkaAsync(cluster, leader, null, cancellationToken);
        Assert.That(async () => await FetchAsync(client, replicaId: -1, cancellationToken), Throws.InstanceOf<NetworkException>());
    }

    /// <summary>Creates a topic of three replicas once every node is registered, appends 5 records on its leader and
    /// checks that every node holds them; returns the leader.</summary>
    private static async Task<int> ReplicateFiveRecordsAsync(BrokerCluster cluster, CancellationToken cancellationToken)
    {
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[1].CreateTopicAsync("secure", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        var tp = new TopicPartition("secure", 0);
        await cluster.WaitForAllAsync(image => image.GetPartition(tp) is { Leader: >= 0 }, cancellationToken);
        int leader = cluster[0].Controller!.Image.GetPartition(tp)!.Leader;

        cluster[leader].TryGetTopic("secure", out Topic? topic);
        await topic!.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 5)), cancellationToken);
        // The high watermark passes the records only once both followers fetched them, over TLS.
        await cluster.Replica(leader, tp).WaitForHighWatermarkAsync(5, TimeSpan.FromSeconds(30), cancellationToken);
        for (int node = 0; node < BrokerCluster.Size; node++)
            Assert.That(cluster.Replica(node, tp).LogEndOffset, Is.EqualTo(5), $"node {node} holds the records");
        return leader;
    }

    private static KafkaListenerSaslOptions Sasl()
    {
        var users = new SaslCredentialStore();
        users.AddUser("alice", "secret");
        return new KafkaListenerSaslOptions { Credentials = users };
    }

    [TestCase("CN=node-3", 3)]
    [TestCase("CN=node-0", 0)]
    [TestCase("CN=node-03", null)]
    [TestCase("CN=node-", null)]
    [TestCase("CN=node--1", null)]
    [TestCase("CN=node-1x", null)]
    [TestCase("CN=Node-1", null)]
    [TestCase("CN=node-99999999999", null)]
    [TestCase("CN=broker-1", null)]
    public void ACertificateNamesANode_ByItsCommonName(string subject, int? nodeId)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        using X509Certificate2 certificate = new CertificateRequest(subject, key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.That(PeerCertificates.NodeIdOf(certificate), Is.EqualTo(nodeId));
    }

    /// <summary>Opens a TLS connection to <paramref name="endpoint"/> with <paramref name="certificate"/> (any server
    /// certificate accepted: the server side is under test) and reads: false once the handshake failed or the server
    /// closed; true when the server still holds it open after <paramref name="keptFor"/> (null: wait for the close).</summary>
    private static async Task<bool> ExchangeAsync(IConnectionFactory network, EndPoint endpoint, string targetHost, X509Certificate2? certificate,
        CancellationToken cancellationToken, TimeSpan? keptFor = null)
    {
        var factory = new TlsClientConnectionFactory(network, ClientOptions(targetHost, certificate));
        try
        {
            await using ConnectionContext connection = await factory.ConnectAsync(endpoint, cancellationToken);
            // Under TLS 1.3 the client finishes before the server checks its certificate: the refusal shows as the end
            // of the connection. A Raft server sends nothing unasked, so a kept connection reads nothing.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (keptFor is { } kept)
                wait.CancelAfter(kept);
            try
            {
                while (true)
                {
                    var result = await connection.Transport.Input.ReadAsync(wait.Token);
                    connection.Transport.Input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                        return false;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return true;
            }
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException or ConnectionResetException
            or ConnectionAbortedException)
        {
            return false;
        }
    }

    private static async Task<KafkaClientConnection> ConnectKafkaAsync(BrokerCluster cluster, int node, X509Certificate2? certificate,
        CancellationToken cancellationToken) =>
        await KafkaClientConnection.ConnectAsync(new TlsClientConnectionFactory(cluster.Network, ClientOptions(PeerTlsOptions.NodeName(node), certificate)),
            cluster.Nodes[node].Endpoint, "peer-tls-test", 1 << 20, TimeProvider.System, cancellationToken);

    private static SslClientAuthenticationOptions ClientOptions(string targetHost, X509Certificate2? certificate) => new()
    {
        TargetHost = targetHost,
        ClientCertificateContext = certificate is null ? null : SslStreamCertificateContext.Create(certificate, null, offline: true),
        RemoteCertificateValidationCallback = (_, _, _, _) => true,
    };

    private static ValueTask<FetchResponse> FetchAsync(KafkaClientConnection connection, int replicaId, CancellationToken cancellationToken) =>
        connection.SendAsync<FetchRequest, FetchResponse>(new FetchRequest { ReplicaId = replicaId, MaxWaitMs = 0 }, 12, TimeSpan.FromSeconds(10),
            cancellationToken);

    private static async Task<CapturingLoggerFactory.LogEntry> WaitForLogAsync(CapturingLoggerFactory logs, int eventId, string text,
        CancellationToken cancellationToken)
    {
        // Bounded by the test's CancelAfter; the refusal is logged by the server's handshake task, after the client's end.
        while (true)
        {
            if (logs.WithId(eventId).FirstOrDefault(e => e.Message.Contains(text, StringComparison.Ordinal)) is { } entry)
                return entry;
            await Task.Delay(10, cancellationToken);
        }
    }
}
