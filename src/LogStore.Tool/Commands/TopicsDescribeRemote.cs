using System.Globalization;
using LogStore.Protocol;
using LogStore.Storage;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>topics describe --bootstrap-server</c>: a running node's view of its cluster's topics (kafka-topics --describe),
/// one line per topic, then per partition its leader, leader epoch, replicas, ISR, log start and high watermark, in the
/// offline describe's tab-separated style. A leader that is unknown prints <c>none</c>, offsets a leader could not give
/// print <c>-</c>; only an unreachable bootstrap server or an unknown topic fails the command.
/// </summary>
internal static class TopicsDescribeRemote
{
    public static async Task<int> DescribeAsync(TextWriter output, string bootstrap, string? topic, CancellationToken cancellationToken)
    {
        await using var client = new TopicsDescribeClient();
        MetadataResponse metadata = await client.MetadataAsync(bootstrap, topic, cancellationToken).ConfigureAwait(false);
        foreach (MetadataResponse.Topic described in metadata.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (described.ErrorCode == ErrorCode.UnknownTopicOrPartition)
                throw new CommandException($"unknown topic '{described.Name}'");
            if (described.ErrorCode != ErrorCode.None)
                throw new CommandException($"topic '{described.Name}': the node answered {described.ErrorCode}");
            Dictionary<int, (long LogStart, long HighWatermark)> offsets = await OffsetsAsync(client, metadata, described, cancellationToken).ConfigureAwait(false);
            await WriteTopicAsync(output, described, offsets).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    /// <summary>Each partition's offsets, asked of its leader; the partitions of a leader that cannot be reached are left out.</summary>
    private static async Task<Dictionary<int, (long LogStart, long HighWatermark)>> OffsetsAsync(TopicsDescribeClient client, MetadataResponse metadata,
        MetadataResponse.Topic topic, CancellationToken cancellationToken)
    {
        var offsets = new Dictionary<int, (long, long)>();
        foreach (IGrouping<int, MetadataResponse.Partition> led in topic.Partitions.Where(p => p.LeaderId >= 0).GroupBy(p => p.LeaderId))
        {
            if (metadata.Brokers.FirstOrDefault(b => b.NodeId == led.Key) is not { } leader)
                continue;
            try
            {
                var answered = await client.OffsetsAsync(TopicsDescribeClient.EndpointOf(leader.Host, leader.Port), topic.Name!,
                    [.. led.Select(p => p.PartitionIndex)], cancellationToken).ConfigureAwait(false);
                foreach ((int partition, (long, long) range) in answered)
                    offsets[partition] = range;
            }
            catch (NetworkException)
            {
                // Metadata is a moment old: a leader that just died shows "-" rather than failing the whole describe.
            }
        }
        return offsets;
    }

    private static async Task WriteTopicAsync(TextWriter output, MetadataResponse.Topic topic, Dictionary<int, (long LogStart, long HighWatermark)> offsets)
    {
        int replicationFactor = topic.Partitions.Count == 0 ? 0 : topic.Partitions.Max(p => p.ReplicaNodes.Count);
        await output.WriteLineAsync(Invariant($"Topic: {topic.Name}\tTopicId: {KafkaUuid.ToKafkaString(topic.TopicId)}\tPartitionCount: {topic.Partitions.Count}\tReplicationFactor: {replicationFactor}")).ConfigureAwait(false);
        foreach (MetadataResponse.Partition partition in topic.Partitions.OrderBy(p => p.PartitionIndex))
        {
            string leader = partition.LeaderId < 0 ? "none" : partition.LeaderId.ToString(CultureInfo.InvariantCulture);
            (string logStart, string highWatermark) = offsets.TryGetValue(partition.PartitionIndex, out var range)
                ? (range.LogStart.ToString(CultureInfo.InvariantCulture), range.HighWatermark.ToString(CultureInfo.InvariantCulture))
                : ("-", "-");
            await output.WriteLineAsync(Invariant($"\tTopic: {topic.Name}\tPartition: {partition.PartitionIndex}\tLeader: {leader}\tLeaderEpoch: {partition.LeaderEpoch}\tReplicas: {Nodes(partition.ReplicaNodes)}\tIsr: {Nodes(partition.IsrNodes)}\tLogStartOffset: {logStart}\tHighWatermark: {highWatermark}")).ConfigureAwait(false);
        }
    }

    private static string Nodes(List<int> nodes) => string.Join(',', nodes);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
