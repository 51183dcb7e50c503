using Microsoft.AspNetCore.Connections;

namespace LogStore;

/// <summary>
/// Makes a <see cref="Broker"/> one node of a replicated store (<see cref="BrokerOptions.Replication"/>): every node
/// lists the same <see cref="Nodes"/>, runs a Raft controller voter beside its broker (Kafka's combined mode), and keeps
/// the replicas the controller assigns it: leaders take appends, followers fetch from them over the Kafka protocol.
/// Validated when the Broker opens (<see cref="ArgumentException"/>).
/// </summary>
public sealed class ReplicationOptions
{
    /// <summary>This node's id; one of <see cref="Nodes"/>. Kafka's node.id.</summary>
    public required int NodeId { get; init; }

    /// <summary>Every node of the cluster, this one included, the same list on every node (the controller's voters).</summary>
    public required IReadOnlyList<ClusterNode> Nodes { get; init; }

    /// <summary>How long a follower may stay behind the leader's log end before it leaves the in-sync replicas. Default
    /// 30 s (replica.lag.time.max.ms).</summary>
    public TimeSpan ReplicaLagTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often this node heart-beats to the controller. Default 500 ms (Kafka's broker.heartbeat.interval.ms is
    /// 2 s; ours is shorter to fit <see cref="SessionTimeout"/>).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the controller waits for a node's heartbeat before it fences the node and moves its leaderships
    /// away: the bound on how long a dead leader's partitions take no writes. Default 2 s (Kafka's
    /// broker.session.timeout.ms is 9 s; a store embedded in an application fails over faster).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>When true, a follower fsyncs what it fetched before it fetches again and a leader's own appends count
    /// once its group-commit fsync ends, so a record counts as replicated (and <see cref="Acks.All"/> completes) only once
    /// it is on every in-sync replica's disk — for those who fear a power cut of every node at once. Default false: Kafka's
    /// rule, replicated means in every in-sync replica's page cache.</summary>
    public bool FlushBeforeAcknowledge { get; init; }

    /// <summary>How long a request to another node may take before it fails and is retried on a new connection.
    /// Default 30 s (request.timeout.ms).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>TLS with mutual certificate authentication between the nodes: the controller's Raft traffic and every
    /// Kafka-protocol connection a node opens to another, each side proving its node id by its certificate (see
    /// <see cref="PeerTlsOptions"/>). Requires <see cref="KafkaListenerOptions.Tls"/>. Default null: plaintext between
    /// nodes (security.inter.broker.protocol=PLAINTEXT).</summary>
    public PeerTlsOptions? PeerTls { get; init; }

    /// <summary>The Raft election timeout range in milliseconds (a leaderless controller quorum elects within it).
    /// Default 300–600 ms.</summary>
    internal (int Lower, int Upper) ElectionTimeout { get; init; } = (300, 600);

    /// <summary>Makes this node's way to the active controller; tests pass their own. Default: over the Kafka protocol.</summary>
    internal Func<Cluster.Controller.QuorumController, Cluster.IControllerChannel>? ControllerChannelFactory { get; init; }

    /// <summary>Replaces the Raft controller: this node's view of the metadata and its channel to whoever decides (a
    /// simulation's controller, deterministic and in process). Null: a Raft controller voter on every node.</summary>
    internal Func<Broker, (Cluster.IClusterMetadata Metadata, Cluster.IControllerChannel Channel)>? ControlPlaneFactory { get; init; }

    /// <summary>Makes this node's replica fetchers; null: the Kafka-protocol fetchers.</summary>
    internal Func<Broker, Cluster.Node.IFollowerFetchers>? FollowerFetchersFactory { get; init; }

    /// <summary>Outbound connections to the other nodes (followers, the controller channel, Raft); tests pass in-memory
    /// ones. Default: TCP.</summary>
    internal IConnectionFactory? ConnectionFactory { get; init; }

    /// <summary>The transport the controller listens on; tests pass an in-memory one. Default: TCP.</summary>
    internal IConnectionListenerFactory? ControllerTransport { get; init; }

    internal ClusterNode Self => Nodes.First(n => n.NodeId == NodeId);

    private Network.Security.PeerCertificates? _peers;
    private Dictionary<System.Net.EndPoint, int>? _nodeEndpoints;

    /// <summary>The peer-TLS rules of this node; null without <see cref="PeerTls"/>. Made once (the certificate context
    /// is not free).</summary>
    internal Network.Security.PeerCertificates? Peers =>
        PeerTls is null ? null : _peers ??= new Network.Security.PeerCertificates(PeerTls, Nodes.Select(n => n.NodeId));

    /// <summary>Every node's Kafka and controller endpoints, to the node's id: which node a dialed address must be.</summary>
    internal IReadOnlyDictionary<System.Net.EndPoint, int> NodeEndpoints => _nodeEndpoints ??= EndpointsToNodes();

    private Dictionary<System.Net.EndPoint, int> EndpointsToNodes()
    {
        var endpoints = new Dictionary<System.Net.EndPoint, int>();
        foreach (ClusterNode node in Nodes)
        {
            endpoints[node.Endpoint] = node.NodeId;
            endpoints[node.ResolvedControllerEndpoint] = node.NodeId;
        }
        return endpoints;
    }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Nodes, nameof(Nodes));
        ArgumentOutOfRangeException.ThrowIfNegative(NodeId, nameof(NodeId));
        if (Nodes.Count == 0)
            throw new ArgumentException("A cluster needs at least one node.", nameof(Nodes));
        var ids = new HashSet<int>();
        foreach (ClusterNode node in Nodes)
        {
            ArgumentNullException.ThrowIfNull(node, nameof(Nodes));
            ArgumentNullException.ThrowIfNull(node.Endpoint, nameof(Nodes));
            ArgumentOutOfRangeException.ThrowIfNegative(node.NodeId, nameof(Nodes));
            if (!ids.Add(node.NodeId))
                throw new ArgumentException($"Node id {node.NodeId} is listed twice.", nameof(Nodes));
        }
        if (!ids.Contains(NodeId))
            throw new ArgumentException($"This node's id {NodeId} is not among {nameof(Nodes)}.", nameof(NodeId));
        if (Nodes.Select(n => n.ResolvedControllerEndpoint).Distinct().Count() != Nodes.Count)
            throw new ArgumentException("Two nodes' controller endpoints are the same.", nameof(Nodes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReplicaLagTime, TimeSpan.Zero, nameof(ReplicaLagTime));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeartbeatInterval, TimeSpan.Zero, nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SessionTimeout, HeartbeatInterval, nameof(SessionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        if (PeerTls is not null && Nodes.Select(n => n.Endpoint).Concat(Nodes.Select(n => n.ResolvedControllerEndpoint)).Distinct().Count() != 2 * Nodes.Count)
            throw new ArgumentException("Under peer TLS every node's Kafka and controller endpoints must differ: the address dialed names the node.", nameof(Nodes));
        PeerTls?.Validate(NodeId);
    }
}
