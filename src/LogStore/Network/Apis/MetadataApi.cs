using LogStore.Protocol;

namespace LogStore.Network.Apis;

/// <summary>
/// Metadata: this node as the only broker, controller and leader of every partition (a single node: replicas and ISR
/// are itself), and each topic's id (v10+), by which clients then fetch (Fetch v13+); v10+ may ask for a topic by id. Topics a client asks for that do not exist are created with the broker's default configuration when
/// the client allows it and <see cref="KafkaListenerOptions.AutoCreateTopics"/> is on (Kafka's
/// <c>auto.create.topics.enable</c>).
/// </summary>
internal sealed class MetadataApi(Broker broker, bool autoCreateTopics)
{
    public async ValueTask<MetadataResponse> HandleAsync(MetadataRequest request, short version, BrokerNode self, CancellationToken cancellationToken)
    {
        var response = new MetadataResponse { ClusterId = ClusterId, ControllerId = self.NodeId };
        response.Brokers.Add(new MetadataResponse.Broker { NodeId = self.NodeId, Host = self.Host, Port = self.Port });
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

    private static MetadataResponse.Topic Describe(Topic topic, BrokerNode self)
    {
        var described = new MetadataResponse.Topic { Name = topic.Name, TopicId = topic.TopicId, IsInternal = topic.IsInternal };
        foreach (Partition partition in topic.Partitions)
        {
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

    // Kafka's cluster id is a base64 UUID; one that stays the same for this store across restarts is what clients expect.
    private string ClusterId => _clusterId ??= Convert.ToBase64String(
        System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(broker.DataDirectory)))[..22].Replace('+', '-').Replace('/', '_');

    private string? _clusterId;
}
