namespace LogStore.Clients;

/// <summary>Confluent.Kafka's offset calls: stored offsets, commits of a result, watermarks and lookups by time.</summary>
internal sealed partial class Consumer<TKey, TValue>
{
    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The consumer has no GroupId.</exception>
    /// <exception cref="CommitFailedException">A group member no longer owns the partition (fenced); nothing was stored.</exception>
    public void Commit(ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Commit([new TopicPartitionOffset(result.TopicPartition, result.Offset + 1)]);
    }

    /// <inheritdoc/>
    public void StoreOffset(ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        StoreOffset(new TopicPartitionOffset(result.TopicPartition, result.Offset + 1));
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Offsets are stored automatically
    /// (<see cref="ConsumerOptions.EnableAutoOffsetStore"/>), the consumer has no GroupId, or the partition is not
    /// assigned to it.</exception>
    public void StoreOffset(TopicPartitionOffset offset)
    {
        ThrowIfDisposed();
        RequireGroup();
        if (_options.EnableAutoOffsetStore)
        {
            throw new InvalidOperationException("StoreOffset needs ConsumerOptions.EnableAutoOffsetStore = false: with it on, " +
                "the position of every returned record is stored automatically (Kafka's enable.auto.offset.store).");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(offset.Offset, nameof(offset));
        GetAssigned(offset.TopicPartition).Stored = offset.Offset;
    }

    /// <inheritdoc/>
    /// <exception cref="UnknownTopicException">The topic or partition does not exist.</exception>
    public WatermarkOffsets GetWatermarkOffsets(TopicPartition partition)
    {
        ThrowIfDisposed();
        Partition p = GetPartition(partition);
        return new WatermarkOffsets(p.LogStartOffset, p.HighWatermark);
    }

    /// <inheritdoc/>
    /// <exception cref="UnknownTopicException">The topic or partition does not exist.</exception>
    public WatermarkOffsets QueryWatermarkOffsets(TopicPartition partition, TimeSpan timeout) => GetWatermarkOffsets(partition);

    /// <inheritdoc/>
    /// <exception cref="UnknownTopicException">A topic or partition does not exist.</exception>
    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(timestampsToSearch);
        ThrowIfDisposed();
        var offsets = new List<TopicPartitionOffset>();
        foreach (TopicPartitionTimestamp search in timestampsToSearch)
        {
            long? found = GetPartition(search.TopicPartition).OffsetForTimestamp(search.Timestamp);
            offsets.Add(new TopicPartitionOffset(search.TopicPartition, found ?? Offset.End));
        }
        return offsets;
    }

    /// <summary>The offset a commit of <paramref name="state"/> stores: its position, or with
    /// <see cref="ConsumerOptions.EnableAutoOffsetStore"/> off what <see cref="StoreOffset(TopicPartitionOffset)"/>
    /// stored; <see cref="Fetcher.UnknownPosition"/> when there is none.</summary>
    private long CommittableOffset(Fetcher.PartitionState state) =>
        _options.EnableAutoOffsetStore ? state.Position : state.Stored;
}
