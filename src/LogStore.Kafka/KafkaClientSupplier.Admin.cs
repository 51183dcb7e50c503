using Confluent.Kafka;
using Confluent.Kafka.Admin;
using LogStore.Kafka.Clients;
using LogStore.Storage;

namespace LogStore.Kafka;

public sealed partial class KafkaClientSupplier
{
    /// <summary>Creates a topic through Confluent's AdminClient (CreateTopics): <paramref name="config"/>'s partitions and
    /// replication factor, and those of its settings that differ from <see cref="TopicConfig"/>'s defaults by their Kafka
    /// names (retention.ms, retention.bytes, cleanup.policy, max.message.bytes, segment.bytes, segment.ms, ...); the
    /// others take the cluster's defaults. Null: the cluster's partition count and defaults.</summary>
    /// <inheritdoc/>
    public async ValueTask CreateTopicAsync(string name, TopicConfig? config = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var spec = new TopicSpecification { Name = name, NumPartitions = -1, ReplicationFactor = -1 };
        if (config is not null)
        {
            spec.NumPartitions = config.Partitions;
            spec.ReplicationFactor = (short)config.ReplicationFactor;
            spec.Configs = TopicConfigs(config);
        }
        try
        {
            await Admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = _options.RequestTimeout })
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CreateTopicsException e) when (e.Results.Count == 1)
        {
            throw KafkaErrors.ToException(e.Results[0].Error, new TopicPartition(name, -1), producing: false, e);
        }
    }

    /// <summary>Deletes a topic through Confluent's AdminClient (DeleteTopics).</summary>
    /// <inheritdoc/>
    public async ValueTask DeleteTopicAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        try
        {
            await Admin.DeleteTopicsAsync([name], new DeleteTopicsOptions { RequestTimeout = _options.RequestTimeout })
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DeleteTopicsException e) when (e.Results.Count == 1)
        {
            throw KafkaErrors.ToException(e.Results[0].Error, new TopicPartition(name, -1), producing: false, e);
        }
    }

    /// <summary>The topic's partitions from the cluster's metadata.</summary>
    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<TopicPartition>> PartitionsForAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        // GetMetadata blocks on the network: off the caller's thread.
        TopicMetadata found = await Task.Run(() => FindTopic(topic), cancellationToken).ConfigureAwait(false);
        var partitions = new List<TopicPartition>(found.Partitions.Count);
        foreach (PartitionMetadata partition in found.Partitions)
            partitions.Add(new TopicPartition(topic, partition.PartitionId));
        partitions.Sort(ComparePartitions);
        return partitions;
    }

    /// <summary>Deletes records through Confluent's AdminClient (DeleteRecords); returns the partition's new low watermark.</summary>
    /// <inheritdoc/>
    public async ValueTask<long> DeleteRecordsAsync(TopicPartition partition, long beforeOffset, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(beforeOffset);
        // librdkafka waits for a leader of a partition it has no metadata for, past the request timeout: look first.
        ThrowIfUnknown(partition);
        try
        {
            List<DeleteRecordsResult> results = await Admin.DeleteRecordsAsync(
                    [new Confluent.Kafka.TopicPartitionOffset(partition.Topic, partition.Partition, beforeOffset)],
                    new DeleteRecordsOptions { RequestTimeout = _options.RequestTimeout })
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            return results[0].Offset.Value;
        }
        catch (DeleteRecordsException e) when (e.Results.Count == 1)
        {
            throw KafkaErrors.ToException(e.Results[0].Error, partition, producing: false, e);
        }
    }

    private void ThrowIfUnknown(TopicPartition partition)
    {
        TopicMetadata topic = FindTopic(partition.Topic);
        if (!topic.Partitions.Exists(p => p.PartitionId == partition.Partition))
            throw new UnknownTopicException(partition.Topic, partition.Partition);
    }

    private TopicMetadata FindTopic(string name)
    {
        Metadata metadata;
        try
        {
            metadata = Admin.GetMetadata(name, _options.RequestTimeout);
        }
        catch (KafkaException e)
        {
            throw KafkaErrors.From(e, new TopicPartition(name, -1), producing: false);
        }
        TopicMetadata? topic = metadata.Topics.Find(t => t.Topic == name);
        if (topic is null || topic.Error.Code == ErrorCode.UnknownTopicOrPart || topic.Partitions.Count == 0)
            throw new UnknownTopicException(name);
        if (topic.Error.IsError)
            throw KafkaErrors.ToException(topic.Error, new TopicPartition(name, -1), producing: false);
        return topic;
    }

    /// <summary>Lists the cluster's consumer groups through Confluent's AdminClient (ListGroups), ordered by id.</summary>
    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> ListConsumerGroupsAsync(CancellationToken cancellationToken = default)
    {
        ListConsumerGroupsResult result = await Admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = _options.RequestTimeout })
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<string>(result.Valid.Count);
        foreach (ConsumerGroupListing listing in result.Valid)
            ids.Add(listing.GroupId);
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>Describes a group through Confluent's AdminClient: its members (DescribeGroups), its committed offsets
    /// (OffsetFetch) and each partition's high watermark (ListOffsets), as <see cref="Broker.DescribeConsumerGroup"/>.</summary>
    /// <inheritdoc/>
    public async ValueTask<LogStore.ConsumerGroupDescription> DescribeConsumerGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        IAdminClient admin = Admin;
        DescribeConsumerGroupsResult described = await admin.DescribeConsumerGroupsAsync([groupId],
                new DescribeConsumerGroupsOptions { RequestTimeout = _options.RequestTimeout })
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var owners = new Dictionary<TopicPartition, string>();
        var members = new List<ConsumerGroupMember>();
        foreach (MemberDescription member in described.ConsumerGroupDescriptions[0].Members.OrderBy(m => m.ConsumerId, StringComparer.Ordinal))
        {
            var assignment = new List<TopicPartition>();
            foreach (Confluent.Kafka.TopicPartition tp in member.Assignment?.TopicPartitions ?? [])
            {
                assignment.Add(tp.ToLogStore());
                owners[tp.ToLogStore()] = member.ConsumerId;
            }
            assignment.Sort(ComparePartitions);
            members.Add(new ConsumerGroupMember(member.ConsumerId, assignment));
        }

        List<ListConsumerGroupOffsetsResult> offsets = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(groupId, null)],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = _options.RequestTimeout })
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var committed = new Dictionary<TopicPartition, long>();
        foreach (TopicPartitionOffsetError tpo in offsets[0].Partitions)
        {
            if (!tpo.Error.IsError && !tpo.Offset.IsSpecial)
                committed[new TopicPartition(tpo.Topic, tpo.Partition.Value)] = tpo.Offset.Value;
        }

        var all = committed.Keys.Union(owners.Keys).ToList();
        all.Sort(ComparePartitions);
        Dictionary<TopicPartition, long> ends = await HighWatermarksAsync(admin, all, cancellationToken).ConfigureAwait(false);
        var partitions = new List<ConsumerGroupPartition>(all.Count);
        foreach (TopicPartition tp in all)
        {
            long? end = ends.TryGetValue(tp, out long e) ? e : null;
            long? offset = committed.TryGetValue(tp, out long c) ? c : null;
            long? lag = end is long high && offset is long o ? Math.Max(0, high - o) : null;
            partitions.Add(new ConsumerGroupPartition(tp, offset, end, lag, owners.GetValueOrDefault(tp)));
        }
        return new LogStore.ConsumerGroupDescription(groupId, members, partitions);
    }

    private async Task<Dictionary<TopicPartition, long>> HighWatermarksAsync(IAdminClient admin, List<TopicPartition> partitions,
        CancellationToken cancellationToken)
    {
        var ends = new Dictionary<TopicPartition, long>();
        if (partitions.Count == 0)
            return ends;
        var specs = new List<TopicPartitionOffsetSpec>(partitions.Count);
        foreach (TopicPartition tp in partitions)
            specs.Add(new TopicPartitionOffsetSpec { TopicPartition = tp.ToKafka(), OffsetSpec = OffsetSpec.Latest() });
        try
        {
            ListOffsetsResult result = await admin.ListOffsetsAsync(specs, new ListOffsetsOptions { RequestTimeout = _options.RequestTimeout })
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (ListOffsetsResultInfo info in result.ResultInfos)
                ends[new TopicPartition(info.TopicPartitionOffsetError.Topic, info.TopicPartitionOffsetError.Partition.Value)] = info.TopicPartitionOffsetError.Offset.Value;
        }
        catch (ListOffsetsException e)
        {
            // A deleted partition has no end (null), as embedded; the others keep theirs.
            foreach (ListOffsetsResultInfo info in e.Result.ResultInfos)
            {
                if (!info.TopicPartitionOffsetError.Error.IsError)
                    ends[new TopicPartition(info.TopicPartitionOffsetError.Topic, info.TopicPartitionOffsetError.Partition.Value)] = info.TopicPartitionOffsetError.Offset.Value;
            }
        }
        return ends;
    }

    /// <summary>The settings of <paramref name="config"/> that differ from <see cref="TopicConfig"/>'s defaults, by
    /// their Kafka names (every TopicConfig setting is a Kafka topic config); an unset optional one is Kafka's -1.</summary>
    private static Dictionary<string, string> TopicConfigs(TopicConfig config)
    {
        var defaults = TopicConfigProperties.ToProperties(new TopicConfig()).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        var configs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in TopicConfigProperties.ToProperties(config))
        {
            if (name is "partitions" or "replication.factor" || defaults[name] == value)
                continue;
            configs[name] = value.Length == 0 ? "-1" : value;
        }
        return configs;
    }

    private static int ComparePartitions(TopicPartition a, TopicPartition b)
    {
        int byTopic = string.CompareOrdinal(a.Topic, b.Topic);
        return byTopic != 0 ? byTopic : a.Partition.CompareTo(b.Partition);
    }
}
