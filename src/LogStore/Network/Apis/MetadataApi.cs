using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// Metadata: on a single node, this node as the only broker, controller and leader of every partition (replicas and ISR
/// are itself); in a cluster, every registered live node, the active controller and each partition's leader, leader
/// epoch, replicas and ISR as this node last applied the controller's image; and each topic's id (v10+), by which clients then fetch (Fetch v13+); v10+ may ask for a topic by id. Topics a client asks for that do not exist are created with the broker's default configuration when
/// the client allows it and <see cref="KafkaListenerOptions.AutoCreateTopics"/> is on (Kafka's
/// <c>auto.create.topics.enable</c>).
/// </summary>
internal sealed class MetadataApi(Broker broker, bool autoCreateTopics)
{
    public async ValueTask<MetadataResponse> HandleAsync(MetadataRequest request, short version, BrokerNode self, CancellationToken cancellationToken)
    {
        // In a cluster too the controller named is this node, as a KRaft broker names any broker: controller requests
        // (CreateTopics) sent here are forwarded to the active controller.
        var response = new MetadataResponse { ClusterId = ClusterId, ControllerId = self.NodeId };
        response.Brokers.Add(new MetadataResponse.Broker { NodeId = self.NodeId, Host = self.Host, Port = self.Port });
        if (broker.ClusterServices is { } cluster)
            DescribeCluster(response, cluster, self);
        // v0: an empty list means every topic; v1+: null does.
        bool all = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (all)
        {
            foreach (Topic topic in broker.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
                response.Topics.Add(Describe(topic, self));
            return response;
        }
        foreach (MetadataRequest.Topic wanted in request.Topics!)
        {
            string? name = wanted.Name;
            if (name is null)
            {
                // v10+ may name a topic by its id alone; an id is never created, only described.
                response.Topics.Add(broker.TryGetTopic(wanted.TopicId, out Topic? byId)
                    ? Describe(byId, self)
                    : new MetadataResponse.Topic { ErrorCode = ErrorCode.UnknownTopicId, TopicId = wanted.TopicId });
                continue;
            }
            response.Topics.Add(await DescribeOrCreateAsync(name, request.AllowAutoTopicCreation || version < 4, self, cancellationToken).ConfigureAwait(false));
        }
        return response;
    }

    private async ValueTask<MetadataResponse.Topic> DescribeOrCreateAsync(string name, bool allowCreate, BrokerNode self, CancellationToken cancellationToken)
    {
        if (broker.TryGetTopic(name, out Topic? topic))
            return Describe(topic, self);
        if (!allowCreate || !autoCreateTopics)
            return new MetadataResponse.Topic { Name = name, ErrorCode = ErrorCode.UnknownTopicOrPartition };
        try
        {
            return Describe(await broker.GetOrCreateTopicAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false), self);
        }
        catch (LogStoreException e)
        {
            return new MetadataResponse.Topic { Name = name, ErrorCode = ErrorCodes.FromException(e) };
        }
    }

    /// <summary>The other live nodes as they registered; the controller id stays this node's.</summary>
    private static void DescribeCluster(MetadataResponse response, Cluster.Node.ClusterNodeServices cluster, BrokerNode self)
    {
        Cluster.Metadata.ClusterImage image = cluster.Publisher.Applied;
        foreach (Cluster.Metadata.NodeRegistration node in image.Nodes.Values)
        {
            if (node.NodeId != self.NodeId && !node.Fenced)
                response.Brokers.Add(new MetadataResponse.Broker { NodeId = node.NodeId, Host = node.Host, Port = node.Port });
        }
    }

    private static MetadataResponse.Topic Describe(Topic topic, BrokerNode self)
    {
        var described = new MetadataResponse.Topic { Name = topic.Name, TopicId = topic.TopicId, IsInternal = topic.IsInternal };
        foreach (Partition partition in topic.Partitions)
        {
            if (partition.Registration is { } state)
            {
                described.Partitions.Add(Describe(partition, state, self));
                continue;
            }
            bool offline = partition.IsOffline;
            described.Partitions.Add(new MetadataResponse.Partition
            {
                ErrorCode = offline ? ErrorCode.KafkaStorageError : ErrorCode.None,
                PartitionIndex = partition.Id.Partition,
                LeaderId = offline ? -1 : self.NodeId,
                LeaderEpoch = offline ? -1 : partition.Replica.LeaderEpoch,
                ReplicaNodes = [self.NodeId],
                IsrNodes = offline ? [] : [self.NodeId],
                OfflineReplicas = offline ? [self.NodeId] : [],
            });
        }
        return described;
    }

    /// <summary>A partition of a cluster: the controller's leader, epoch, replicas and ISR; this node's replica offline
    /// when it could not be opened.</summary>
    private static MetadataResponse.Partition Describe(Partition partition, Cluster.Metadata.PartitionRegistration state, BrokerNode self)
    {
        bool offline = partition.IsOffline;
        return new MetadataResponse.Partition
        {
            ErrorCode = state.Leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None,
            PartitionIndex = partition.Id.Partition,
            LeaderId = state.Leader,
            LeaderEpoch = state.LeaderEpoch,
            ReplicaNodes = [.. state.Replicas],
            IsrNodes = [.. state.Isr],
            OfflineReplicas = offline ? [self.NodeId] : [],
        };
    }

    // Kafka's cluster id is a base64 UUID; one that stays the same for this store across restarts is what clients expect.
    // In a cluster every node must give the same one: it comes from the node list they all share.
    private string ClusterId => _clusterId ??= Convert.ToBase64String(
        System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(broker.Options.Replication is { } replication
            ? string.Join(',', replication.Nodes.OrderBy(n => n.NodeId).Select(n => $"{n.NodeId}@{n.Endpoint}"))
            : broker.DataDirectory)))[..22].Replace('+', '-').Replace('/', '_');

    private string? _clusterId;
}
