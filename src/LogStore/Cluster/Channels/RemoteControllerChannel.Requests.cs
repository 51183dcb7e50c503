using LogStore.Cluster.Metadata;
using LogStore.Network.Client;
using LogStore.Protocol;

namespace LogStore.Cluster.Channels;

// The four commands as Kafka requests: BrokerRegistration v4, BrokerHeartbeat v1, AlterPartition v3 (v1, by name,
// when this node's metadata does not know the topic's id yet) and CreateTopics v7.
internal sealed partial class RemoteControllerChannel
{
    private const short BrokerRegistrationVersion = 4;
    private const short BrokerHeartbeatVersion = 1;
    private const short AlterPartitionByIdVersion = 3;
    private const short AlterPartitionByNameVersion = 1;
    private const short CreateTopicsVersion = 7;
    private const string UncleanLeaderElectionConfig = "unclean.leader.election.enable";

    // A new incarnation per channel, as Kafka's broker draws one per process start.
    private readonly Guid _incarnationId = Guid.NewGuid();
    private long _registeredEpoch = -1;

    public ValueTask<NodeRegistration> RegisterNodeAsync(int nodeId, long nodeEpoch, string host, int port, bool cleanShutdown, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentOutOfRangeException.ThrowIfNegative(nodeEpoch);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        return SendAsync(
            async (controller, ct) => Registered(await controller.RegisterNodeAsync(nodeId, nodeEpoch, host, port, cleanShutdown, ct).ConfigureAwait(false)),
            async (connection, ct) =>
            {
                var request = new BrokerRegistrationRequest
                {
                    BrokerId = nodeId,
                    IncarnationId = _incarnationId,
                    Listeners = [new BrokerRegistrationRequest.Listener { Name = "PLAINTEXT", Host = host, Port = (ushort)port }],
                    NodeEpoch = nodeEpoch,
                    // Kafka sends the epoch it had before a clean shutdown; LogStore's nodes keep none, so 0 says "clean".
                    PreviousBrokerEpoch = cleanShutdown ? 0 : -1,
                };
                BrokerRegistrationResponse response = await connection.SendAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(
                    request, BrokerRegistrationVersion, _options.RequestTimeout, ct).ConfigureAwait(false);
                ThrowIfError(response.ErrorCode, e => ControllerErrors.ForNode(e, nodeId, nodeEpoch, KnownEpoch(nodeId), connection.RemoteEndPoint));
                return Registered(new NodeRegistration(nodeId, response.BrokerEpoch, host, port, Fenced: false));
            }, cancellationToken);
    }

    /// <summary>The epoch this node's metadata holds for <paramref name="nodeId"/>, if any.</summary>
    private long? KnownEpoch(int nodeId) => _metadata?.Image.Nodes.TryGetValue(nodeId, out var known) == true ? known.NodeEpoch : null;

    private NodeRegistration Registered(NodeRegistration registration)
    {
        if (registration.NodeId == _options.NodeId)
            Volatile.Write(ref _registeredEpoch, registration.NodeEpoch);
        return registration;
    }

    public async ValueTask HeartbeatAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken)
    {
        await SendAsync(
            async (controller, ct) =>
            {
                await controller.HeartbeatAsync(nodeId, nodeEpoch, ct).ConfigureAwait(false);
                return true;
            },
            async (connection, ct) =>
            {
                var request = new BrokerHeartbeatRequest
                {
                    BrokerId = nodeId,
                    BrokerEpoch = nodeEpoch,
                    CurrentMetadataOffset = _metadata?.Image.Offset ?? -1,
                };
                BrokerHeartbeatResponse response = await connection.SendAsync<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(
                    request, BrokerHeartbeatVersion, _options.RequestTimeout, ct).ConfigureAwait(false);
                ThrowIfError(response.ErrorCode, e => ControllerErrors.ForNode(e, nodeId, nodeEpoch, KnownEpoch(nodeId), connection.RemoteEndPoint));
                return true;
            }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> ControlledShutdownAsync(int nodeId, long nodeEpoch, CancellationToken cancellationToken) =>
        SendAsync(
            (controller, ct) => controller.ControlledShutdownAsync(nodeId, nodeEpoch, ct),
            async (connection, ct) =>
            {
                var request = new BrokerHeartbeatRequest
                {
                    BrokerId = nodeId,
                    BrokerEpoch = nodeEpoch,
                    CurrentMetadataOffset = _metadata?.Image.Offset ?? -1,
                    WantShutDown = true,
                };
                BrokerHeartbeatResponse response = await connection.SendAsync<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(
                    request, BrokerHeartbeatVersion, _options.RequestTimeout, ct).ConfigureAwait(false);
                ThrowIfError(response.ErrorCode, e => ControllerErrors.ForNode(e, nodeId, nodeEpoch, KnownEpoch(nodeId), connection.RemoteEndPoint));
                return response.ShouldShutDown;
            }, cancellationToken);

    public ValueTask<PartitionRegistration> AlterPartitionAsync(TopicPartition partition, int leaderId, int leaderEpoch, int partitionEpoch,
        IReadOnlyList<int> newIsr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newIsr);
        return SendAsync(
            (controller, ct) => controller.AlterPartitionAsync(partition, leaderId, leaderEpoch, partitionEpoch, newIsr, ct),
            async (connection, ct) =>
            {
                Guid? topicId = _metadata?.Image.Topics.TryGetValue(partition.Topic, out TopicRegistration? known) == true ? known!.TopicId : null;
                short version = topicId is null ? AlterPartitionByNameVersion : AlterPartitionByIdVersion;
                var data = new AlterPartitionRequest.PartitionData
                {
                    PartitionIndex = partition.Partition,
                    LeaderEpoch = leaderEpoch,
                    PartitionEpoch = partitionEpoch,
                    NewIsr = [.. newIsr],
                    NewIsrWithEpochs = [.. newIsr.Select(id => new AlterPartitionRequest.BrokerState { BrokerId = id })],
                };
                var request = new AlterPartitionRequest
                {
                    BrokerId = leaderId,
                    BrokerEpoch = leaderId == _options.NodeId ? Volatile.Read(ref _registeredEpoch) : -1,
                    Topics = [new AlterPartitionRequest.TopicData { TopicName = partition.Topic, TopicId = topicId ?? Guid.Empty, Partitions = [data] }],
                };
                AlterPartitionResponse response = await connection.SendAsync<AlterPartitionRequest, AlterPartitionResponse>(
                    request, version, _options.RequestTimeout, ct).ConfigureAwait(false);
                ThrowIfError(response.ErrorCode, e => ControllerErrors.ForNode(e, leaderId, request.BrokerEpoch, KnownEpoch(leaderId), connection.RemoteEndPoint));
                if (response.Topics is not [{ Partitions: [var result] }] || result.PartitionIndex != partition.Partition)
                    throw new NetworkException($"The controller at {connection.RemoteEndPoint} answered AlterPartition of {partition} with other partitions.");
                ThrowIfError(result.ErrorCode, e => ControllerErrors.ForPartition(e, partition, leaderId, request.BrokerEpoch, newIsr,
                    _metadata?.Image, connection.RemoteEndPoint));
                // The response has no replica list: it is this node's metadata's, or the ISR when that does not know it.
                int[] replicas = _metadata?.Image.GetPartition(partition) is { } state ? [.. state.Replicas] : [.. result.Isr];
                return new PartitionRegistration(replicas, result.LeaderId, result.LeaderEpoch, [.. result.Isr], result.PartitionEpoch);
            }, cancellationToken);
    }

    public ValueTask<TopicRegistration> CreateTopicAsync(string name, int partitions, int replicationFactor, bool uncleanLeaderElection,
        IReadOnlyList<(string Name, string Value)> configs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configs);
        TopicName.Validate(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, short.MaxValue);
        return SendAsync(
            (controller, ct) => controller.CreateTopicAsync(name, partitions, replicationFactor, uncleanLeaderElection, configs, ct),
            async (connection, ct) =>
            {
                var topic = new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = (short)replicationFactor };
                // The counts travel in their own fields; as configs a node's CreateTopics refuses them.
                foreach ((string config, string value) in configs.Where(c => c.Name is not ("partitions" or "replication.factor")))
                    topic.Configs.Add(new CreateTopicsRequest.TopicConfigEntry { Name = config, Value = value });
                if (uncleanLeaderElection && !topic.Configs.Exists(c => c.Name == UncleanLeaderElectionConfig))
                    topic.Configs.Add(new CreateTopicsRequest.TopicConfigEntry { Name = UncleanLeaderElectionConfig, Value = "true" });
                var request = new CreateTopicsRequest { Topics = [topic], TimeoutMs = (int)_options.RequestTimeout.TotalMilliseconds };
                CreateTopicsResponse response = await connection.SendAsync<CreateTopicsRequest, CreateTopicsResponse>(
                    request, CreateTopicsVersion, _options.RequestTimeout, ct).ConfigureAwait(false);
                if (response.Topics is not [var result] || result.Name != name)
                    throw new NetworkException($"The controller at {connection.RemoteEndPoint} answered CreateTopics of '{name}' with other topics.");
                ThrowIfError(result.ErrorCode, e => ControllerErrors.ForTopic(e, name, result.ErrorMessage, partitions, replicationFactor,
                    _metadata?.Image, connection.RemoteEndPoint));
                return await CreatedAsync(name, result.TopicId, uncleanLeaderElection, ct).ConfigureAwait(false);
            }, cancellationToken);
    }

    /// <summary>The created topic as this node's metadata shows it once it has applied the creation (the response
    /// carries no assignment); without metadata, the topic with its id and no partitions.</summary>
    private async ValueTask<TopicRegistration> CreatedAsync(string name, Guid topicId, bool unclean, CancellationToken cancellationToken)
    {
        if (_metadata is not { } metadata)
            return new TopicRegistration(name, topicId, unclean, []);
        var applied = new TaskCompletionSource<TopicRegistration>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(ClusterImage image)
        {
            if (image.Topics.TryGetValue(name, out TopicRegistration? topic) && topic.TopicId == topicId)
                applied.TrySetResult(topic);
        }
        metadata.Changed += Check;
        try
        {
            Check(metadata.Image);
            return await applied.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            metadata.Changed -= Check;
        }
    }

    /// <summary>NOT_CONTROLLER becomes <see cref="NotControllerException"/> (retried); another error the exception
    /// <paramref name="refusal"/> makes of it.</summary>
    private static void ThrowIfError(ErrorCode error, Func<ErrorCode, LogStoreException> refusal)
    {
        if (error == ErrorCode.None)
            return;
        if (error == ErrorCode.NotController)
            throw new NotControllerException(null);
        throw refusal(error);
    }
}
