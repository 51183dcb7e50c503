using LogStore.Protocol;
using LogStore.Storage;

namespace LogStore.Network.Apis;

/// <summary>
/// CreateTopics (v7+ answers each topic's id), DeleteTopics (v6 by name or id) and DeleteRecords (the AdminClient's topic
/// operations), each topic through the same
/// Broker call an application makes, so the same rules hold: Kafka's topic names, internal topics untouchable, configs
/// validated as a configuration file is. A single node takes replication factor 1 (or -1, the broker default) only; a
/// node of a cluster creates the topic through the active controller with the factor asked for.
/// </summary>
internal sealed class TopicsApi(Broker broker)
{
    /// <param name="request">The request, one result per topic in its order.</param>
    /// <param name="forwarded">Sent by another node's controller channel to this node as the active controller: when it
    /// is not (none elected yet, or leadership moved), NOT_CONTROLLER at once, so the sender tries the right node — never
    /// forwarded on, where two nodes without a controller would pass it back and forth until the sender timed out.</param>
    /// <param name="cancellationToken">Ends the wait for the controller.</param>
    public async ValueTask<CreateTopicsResponse> CreateAsync(CreateTopicsRequest request, bool forwarded, CancellationToken cancellationToken)
    {
        var response = new CreateTopicsResponse();
        bool notController = forwarded && broker.Controller is { } controller && !IsActive(controller);
        foreach (CreateTopicsRequest.CreatableTopic topic in request.Topics)
        {
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = topic.Name };
            response.Topics.Add(result);
            if (notController)
            {
                result.ErrorCode = ErrorCode.NotController;
                continue;
            }
            try
            {
                TopicConfig config = ConfigOf(topic);
                result.NumPartitions = config.Partitions;
                result.ReplicationFactor = (short)config.ReplicationFactor;
                if (!request.ValidateOnly)
                    result.TopicId = (await broker.CreateTopicAsync(topic.Name, config, cancellationToken).ConfigureAwait(false)).TopicId;
            }
            catch (Exception e) when (e is LogStoreException or ArgumentException)
            {
                result.ErrorCode = e switch
                {
                    InvalidConfigurationException => ErrorCode.InvalidConfig,
                    InvalidPartitionsException or ArgumentOutOfRangeException { ParamName: nameof(TopicConfig.Partitions) } => ErrorCode.InvalidPartitions,
                    ArgumentException => ErrorCode.InvalidConfig,
                    _ => ErrorCodes.FromException(e),
                };
                result.ErrorMessage = e.Message;
            }
        }
        return response;
    }

    private static bool IsActive(Cluster.Controller.QuorumController controller)
    {
        try
        {
            return controller.IsActive;
        }
        catch (ObjectDisposedException)
        {
            return false;   // closing: another node's controller takes over
        }
    }

    private TopicConfig ConfigOf(CreateTopicsRequest.CreatableTopic topic)
    {
        bool cluster = broker.Options.Replication is not null;
        if (!cluster && topic.ReplicationFactor is not (1 or -1))
        {
            throw new InvalidConfigurationException(topic.Name, "replication.factor",
                $"Replication factor {topic.ReplicationFactor} is more than this single node has: only 1 is possible.");
        }
        if (topic.Assignments.Count > 0)
            throw new InvalidConfigurationException(topic.Name, "replica-assignment", "Manual replica assignment is not supported; the controller places replicas.");
        TopicConfig defaults = broker.Options.DefaultTopicConfig;
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (CreateTopicsRequest.TopicConfigEntry entry in topic.Configs)
            changes[entry.Name] = entry.Value;
        TopicConfig config = TopicConfigProperties.Alter(topic.Name, defaults, defaults, changes);
        int partitions = topic.NumPartitions == -1 ? defaults.Partitions : topic.NumPartitions;
        // TopicConfig.Validate refuses a count out of range (below 1, above MaxPartitions): INVALID_PARTITIONS.
        TopicConfig counted = config.WithPartitions(partitions);
        if (cluster && topic.ReplicationFactor != -1)
            counted = counted.WithReplicationFactor(topic.ReplicationFactor);
        counted.Validate();
        return counted;
    }

    public async ValueTask<DeleteTopicsResponse> DeleteAsync(DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteTopicsResponse();
        // v0–v5 name topics in TopicNames, v6 in Topics, by name or (name null) by id; the result carries both.
        IEnumerable<(string? Name, Guid Id)> wanted = request.TopicNames.Count > 0
            ? request.TopicNames.Select(n => ((string?)n, Guid.Empty))
            : request.Topics.Select(t => (t.Name, t.TopicId));
        foreach ((string? named, Guid id) in wanted)
        {
            string? name = named;
            var result = new DeleteTopicsResponse.TopicResult { Name = name, TopicId = id };
            response.Responses.Add(result);
            if (name is null)
            {
                if (!broker.TryGetTopic(id, out Topic? byId))
                {
                    result.ErrorCode = ErrorCode.UnknownTopicId;
                    continue;
                }
                result.Name = name = byId.Name;
            }
            else if (broker.TryGetTopic(name, out Topic? byName))
            {
                result.TopicId = byName.TopicId;
            }
            try
            {
                await broker.DeleteTopicAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (LogStoreException e)
            {
                result.ErrorCode = ErrorCodes.FromException(e);
                result.ErrorMessage = e.Message;
            }
        }
        return response;
    }

    public async ValueTask<DeleteRecordsResponse> DeleteRecordsAsync(DeleteRecordsRequest request, CancellationToken cancellationToken)
    {
        var response = new DeleteRecordsResponse();
        foreach (DeleteRecordsRequest.Topic topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.Topic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (DeleteRecordsRequest.Partition partition in topic.Partitions)
            {
                var result = new DeleteRecordsResponse.Partition { PartitionIndex = partition.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(result);
                var tp = new TopicPartition(topic.Name, partition.PartitionIndex);
                try
                {
                    // -1 is Kafka's "up to the high watermark".
                    long before = partition.Offset == -1 && broker.TryGetPartition(topic.Name, partition.PartitionIndex, out Partition? found)
                        ? found.HighWatermark
                        : partition.Offset;
                    result.LowWatermark = await broker.DeleteRecordsAsync(tp, before, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is LogStoreException or ArgumentException)
                {
                    result.ErrorCode = e is ArgumentException ? ErrorCode.OffsetOutOfRange : ErrorCodes.FromException(e);
                }
            }
        }
        return response;
    }
}
