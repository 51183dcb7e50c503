using LogStore.Clients.Groups;

namespace LogStore.Tool.Groups;

/// <summary>
/// Every consumer group's committed offsets, read from the internal topic <c>__consumer_offsets</c> the way Kafka's
/// coordinator loads it: every record from the log start, the last value of each key winning and a tombstone
/// removing it. Read-only: unlike opening a group, it never creates the topic. Records are decoded by the library's
/// <see cref="OffsetCommitCodec"/> (visible to the tool through InternalsVisibleTo), so the format lives in one place.
/// </summary>
internal static class CommittedOffsets
{
    private const int ReadChunkBytes = 1 << 20;

    /// <summary>Group → partition → committed offset; empty when no group ever committed.</summary>
    public static async Task<SortedDictionary<string, Dictionary<TopicPartition, long>>> ReadAsync(Broker broker, CancellationToken cancellationToken)
    {
        var groups = new SortedDictionary<string, Dictionary<TopicPartition, long>>(StringComparer.Ordinal);
        if (!broker.TryGetTopic(OffsetStore.TopicName, out Topic? topic))
            return groups;
        foreach (Partition partition in topic.Partitions)
        {
            long next = partition.LogStartOffset;
            while (next < partition.LogEndOffset)
            {
                using FetchResult fetch = await partition.ReadAsync(next, ReadChunkBytes, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (fetch.IsEmpty)
                    break;
                next = Apply(fetch, groups);
            }
        }
        foreach (string empty in groups.Where(g => g.Value.Count == 0).Select(g => g.Key).ToList())
            groups.Remove(empty);
        return groups;
    }

    /// <summary>Applies the commits of one fetch; returns the offset after it. Synchronous: records are ref structs.</summary>
    private static long Apply(FetchResult fetch, SortedDictionary<string, Dictionary<TopicPartition, long>> groups)
    {
        long next = 0;
        foreach (RecordBatch batch in fetch)
        {
            next = batch.NextOffset;
            if (batch.IsControlBatch)
                continue;
            foreach (Record record in batch)
            {
                if (record.IsKeyNull || !OffsetCommitCodec.TryReadKey(record.Key, out string group, out TopicPartition tp))
                    continue;
                if (!groups.TryGetValue(group, out Dictionary<TopicPartition, long>? offsets))
                    groups[group] = offsets = [];
                if (record.IsValueNull)
                    offsets.Remove(tp);
                else
                    offsets[tp] = OffsetCommitCodec.ReadValue(record.Value).Offset;
            }
        }
        return next;
    }
}
