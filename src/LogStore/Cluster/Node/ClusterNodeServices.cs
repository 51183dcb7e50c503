using LogStore.Cluster.Controller;
using LogStore.Network.Transport;
using LogStore.Storage.Replication;

namespace LogStore.Cluster.Node;

/// <summary>
/// What a Broker runs as one node of a cluster (Kafka's combined broker and controller): its Raft controller voter, its
/// channel to the active controller, registration and heartbeats, the replica fetchers and the metadata publisher.
/// Started after the Broker's listener (the other nodes fetch through it), stopped before it.
/// </summary>
internal sealed class ClusterNodeServices : IAsyncDisposable
{
    /// <summary>The controller's directory inside the data directory (Kafka keeps its metadata log beside the partitions
    /// too); not a partition directory name, so the store never takes it for one.</summary>
    public const string ControllerDirectoryName = "__cluster_metadata";

    /// <summary>
    /// Whether this node's log holds every record it counted as replicated: after a clean shutdown, or always when a
    /// log end counts only once fsynced, a leader's as a follower's (<see cref="ReplicationOptions.FlushBeforeAcknowledge"/>).
    /// Otherwise the controller takes it out of the in-sync replicas others can keep (KIP-966).
    /// </summary>
    private static bool CleanForReplication(Broker broker, ReplicationOptions options) => broker.HadCleanShutdown || options.FlushBeforeAcknowledge;

    private ClusterNodeServices(ReplicationOptions options, QuorumController? controller, IClusterMetadata metadata, IControllerChannel channel,
        IControllerChannel heartbeatChannel, IFollowerFetchers fetchers, BrokerLifecycleManager lifecycle, BrokerMetadataPublisher publisher,
        IsrExpirationScheduler isrExpiration, TimeProvider time)
    {
        _heartbeatChannel = heartbeatChannel;
        _isrExpiration = isrExpiration;
        _time = time;
        (Options, Controller, Metadata, Channel, Fetchers, Lifecycle, Publisher) = (options, controller, metadata, channel, fetchers, lifecycle, publisher);
    }

    private readonly IControllerChannel _heartbeatChannel;
    private readonly IsrExpirationScheduler _isrExpiration;
    private readonly TimeProvider _time;

    public ReplicationOptions Options { get; }

    public int NodeId => Options.NodeId;

    /// <summary>This node's Raft controller voter; null when the options replace the control plane.</summary>
    public QuorumController? Controller { get; }

    /// <summary>The metadata this node applies (its controller voter's image).</summary>
    public IClusterMetadata Metadata { get; }

    public IControllerChannel Channel { get; }

    public IFollowerFetchers Fetchers { get; }

    public BrokerLifecycleManager Lifecycle { get; }

    public BrokerMetadataPublisher Publisher { get; }

    public static async ValueTask<ClusterNodeServices> StartAsync(Broker broker, ReplicationOptions options, CancellationToken cancellationToken)
    {
        BrokerOptions brokerOptions = broker.Options;
        ClusterNode self = options.Self;
        QuorumController? controller = null;
        IClusterMetadata metadata;
        IControllerChannel? channel = null;
        if (options.ControlPlaneFactory is { } controlPlane)
        {
            (metadata, channel) = controlPlane(broker);
        }
        else
        {
            controller = await QuorumController.StartAsync(new ControllerOptions
            {
                DataDirectory = Path.Combine(broker.DataDirectory, ControllerDirectoryName),
                EndPoint = self.ResolvedControllerEndpoint,
                Voters = [.. options.Nodes.Select(n => n.ResolvedControllerEndpoint)],
                VoterNodeIds = options.Nodes.ToDictionary(n => (System.Net.EndPoint)n.ResolvedControllerEndpoint, n => n.NodeId),
                ListenerFactory = PeerTransport.ControllerListener(broker, options),
                ConnectionFactory = PeerTransport.Connections(broker, options),
                SessionTimeout = options.SessionTimeout,
                LowerElectionTimeout = options.ElectionTimeout.Lower,
                UpperElectionTimeout = options.ElectionTimeout.Upper,
                TimeProvider = brokerOptions.TimeProvider,
                LoggerFactory = brokerOptions.LoggerFactory,
            }, cancellationToken).ConfigureAwait(false);
            metadata = controller;
        }
        IFollowerFetchers? fetchers = null;
        BrokerLifecycleManager? lifecycle = null;
        IControllerChannel? heartbeatChannel = null;
        try
        {
            bool ownChannels = channel is null && options.ControllerChannelFactory is null;
            channel ??= options.ControllerChannelFactory?.Invoke(controller!) ?? NewChannel(broker, options, controller!);
            // Heartbeats get a connection of their own (Kafka's separate heartbeat channel): on the shared one, with one
            // request in flight, a heartbeat waited behind an AlterPartition or CreateTopics that the controller was
            // slow to commit (its log's fsync behind a disk full of dirty pages), and the node's session ran out.
            heartbeatChannel = ownChannels ? NewChannel(broker, options, controller!) : channel;
            fetchers = options.FollowerFetchersFactory?.Invoke(broker)
                ?? Storage.Replication.Fetching.ReplicaFetcherManager.Create(broker, options);
            lifecycle = new BrokerLifecycleManager(options.NodeId, self.Endpoint.Address.ToString(), self.Endpoint.Port, heartbeatChannel,
                options.HeartbeatInterval, options.RequestTimeout, brokerOptions.TimeProvider, broker.Logger, CleanForReplication(broker, options));
            var publisher = new BrokerMetadataPublisher(broker, options.NodeId, metadata, fetchers, channel, options.ReplicaLagTime, broker.Logger,
                options.FlushBeforeAcknowledge, () => lifecycle.NodeEpoch);
            var isrExpiration = new IsrExpirationScheduler(() => LeaderReplicas(broker), brokerOptions.TimeProvider,
                IsrExpirationScheduler.IntervalFor(options.ReplicaLagTime));
            lifecycle.Start();
            publisher.Start();
            isrExpiration.Start();
            return new ClusterNodeServices(options, controller, metadata, channel, heartbeatChannel, fetchers, lifecycle, publisher,
                isrExpiration, brokerOptions.TimeProvider);
        }
        catch
        {
            if (lifecycle is not null)
                await lifecycle.DisposeAsync().ConfigureAwait(false);
            if (heartbeatChannel != channel && heartbeatChannel is IAsyncDisposable ownHeartbeatChannel)
                await ownHeartbeatChannel.DisposeAsync().ConfigureAwait(false);
            if (fetchers is not null)
                await fetchers.DisposeAsync().ConfigureAwait(false);
            if (controller is not null)
                await controller.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Kafka's controlled shutdown: the controller fences this node at its request, moving its leaderships to other ISR
    /// members, and this node waits until it has applied that image (its replicas follow), so a rolling restart loses no
    /// write time. Skipped when no other live node shares an ISR with it (the last node standing). Bounded by a session
    /// timeout: longer is pointless, since the controller fences a node silent that long anyway.
    /// </summary>
    private async ValueTask HandOverAsync()
    {
        if (!ControllerDecisions.HasSomethingToHandOver(Metadata.Image, NodeId))
            return;
        using var bound = new CancellationTokenSource(Options.SessionTimeout, _time);
        try
        {
            if (await Lifecycle.ControlledShutdownAsync(bound.Token).ConfigureAwait(false))
                await Publisher.WaitForAsync(image => !image.IsUnfenced(NodeId), bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            // Stops as a crash would: the controller fences this node after its session.
        }
    }

    private static Channels.RemoteControllerChannel NewChannel(Broker broker, ReplicationOptions options, QuorumController controller) =>
        Channels.RemoteControllerChannel.ForNode(options, controller, PeerTransport.Connections(broker, options), broker.Options.TimeProvider);

    /// <summary>This node's replicas that lead: the ones whose followers the ISR expiration checks.</summary>
    private static IEnumerable<PartitionReplica> LeaderReplicas(Broker broker)
    {
        foreach (Topic topic in broker.Topics)
        {
            foreach (Partition partition in topic.Partitions)
            {
                if (!partition.IsOffline && partition.Replica.Role == ReplicaRole.Leader)
                    yield return partition.Replica;
            }
        }
    }

    /// <summary>Hands this node's leaderships over first (a controlled shutdown, while the listener still serves), then
    /// stops heart-beating, applying images, fetching, and the controller voter.</summary>
    public async ValueTask DisposeAsync()
    {
        await HandOverAsync().ConfigureAwait(false);
        await _isrExpiration.DisposeAsync().ConfigureAwait(false);
        await Lifecycle.DisposeAsync().ConfigureAwait(false);
        if (_heartbeatChannel != Channel && _heartbeatChannel is IAsyncDisposable heartbeatChannel)
            await heartbeatChannel.DisposeAsync().ConfigureAwait(false);
        if (Channel is IAsyncDisposable channel)
            await channel.DisposeAsync().ConfigureAwait(false);
        await Publisher.DisposeAsync().ConfigureAwait(false);
        await Fetchers.DisposeAsync().ConfigureAwait(false);
        if (Controller is not null)
            await Controller.DisposeAsync().ConfigureAwait(false);
    }
}
