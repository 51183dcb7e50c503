using Confluent.Kafka;
using CK = Confluent.Kafka;

namespace LogStore.Kafka.Clients;

internal sealed partial class KafkaConsumer<TKey, TValue>
{
    public void Seek(LogStore.TopicPartitionOffset position)
    {
        ThrowIfClosed();
        ThrowIfNotAssigned(position.TopicPartition);
        _requested[position.TopicPartition] = position.Offset;
        try
        {
            _consumer.Seek(position.ToKafka());
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_State)
        {
            // librdkafka refuses to seek a partition whose fetcher has not started yet (just assigned): assigning it
            // again at the new offset is the same move.
            _consumer.IncrementalUnassign([position.TopicPartition.ToKafka()]);
            _consumer.IncrementalAssign([position.ToKafka()]);
        }
    }

    public long Position(LogStore.TopicPartition partition)
    {
        ThrowIfClosed();
        ThrowIfNotAssigned(partition);
        CK.Offset position = _consumer.Position(partition.ToKafka());
        if (!position.IsSpecial)
            return position.Value;
        // Nothing fetched yet: where the first fetch will start, as the embedded consumer answers.
        long requested = _requested.TryGetValue(partition, out long r) ? r : LogStore.Offset.Stored;
        if (requested >= 0)
            return requested;
        if (requested is LogStore.Offset.Stored or LogStore.Offset.Unset && _options.GroupId is not null && Committed(partition) is long committed)
            return committed;
        LogStore.WatermarkOffsets bounds = QueryWatermarkOffsets(partition, _requestTimeout);
        return requested == LogStore.Offset.Beginning || (requested != LogStore.Offset.End && _options.AutoOffsetReset == LogStore.AutoOffsetReset.Earliest)
            ? bounds.Low
            : bounds.High;
    }

    public void Commit()
    {
        ThrowIfClosed();
        RequireGroup();
        try
        {
            _consumer.Commit();
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing consumed since the last commit: nothing to do, as embedded.
        }
        catch (KafkaException e)
        {
            throw CommitFailed(e);
        }
    }

    public void Commit(IEnumerable<LogStore.TopicPartitionOffset> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ThrowIfClosed();
        RequireGroup();
        var list = new List<CK.TopicPartitionOffset>();
        foreach (LogStore.TopicPartitionOffset tpo in offsets)
            list.Add(tpo.ToKafka());
        try
        {
            _consumer.Commit(list);
        }
        catch (KafkaException e)
        {
            throw CommitFailed(e);
        }
    }

    public void Commit(LogStore.ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Commit([new LogStore.TopicPartitionOffset(result.TopicPartition, result.Offset + 1)]);
    }

    public void StoreOffset(LogStore.ConsumeResult<TKey, TValue> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        StoreOffset(new LogStore.TopicPartitionOffset(result.TopicPartition, result.Offset + 1));
    }

    public void StoreOffset(LogStore.TopicPartitionOffset offset)
    {
        ThrowIfClosed();
        if (_options.EnableAutoOffsetStore)
        {
            throw new InvalidOperationException("StoreOffset needs ConsumerOptions.EnableAutoOffsetStore = false: with it on, " +
                "every returned record's position is stored already.");
        }
        try
        {
            _consumer.StoreOffset(offset.ToKafka());
        }
        catch (KafkaException e)
        {
            throw KafkaErrors.From(e, offset.TopicPartition, producing: false);
        }
    }

    public long? Committed(LogStore.TopicPartition partition)
    {
        ThrowIfClosed();
        RequireGroup();
        try
        {
            List<CK.TopicPartitionOffset> committed = _consumer.Committed([partition.ToKafka()], _requestTimeout);
            return committed.Count == 1 && !committed[0].Offset.IsSpecial ? committed[0].Offset.Value : null;
        }
        catch (KafkaException e)
        {
            throw KafkaErrors.From(e, partition, producing: false);
        }
    }

    public LogStore.WatermarkOffsets GetWatermarkOffsets(LogStore.TopicPartition partition) =>
        // Confluent's cached watermarks are unknown until a fetch (and the low one until statistics): ask the broker.
        QueryWatermarkOffsets(partition, _requestTimeout);

    public LogStore.WatermarkOffsets QueryWatermarkOffsets(LogStore.TopicPartition partition, TimeSpan timeout)
    {
        ThrowIfClosed();
        try
        {
            CK.WatermarkOffsets w = _consumer.QueryWatermarkOffsets(partition.ToKafka(), timeout);
            return new LogStore.WatermarkOffsets(w.Low.Value, w.High.Value);
        }
        catch (KafkaException e)
        {
            throw KafkaErrors.From(e, partition, producing: false);
        }
    }

    public List<LogStore.TopicPartitionOffset> OffsetsForTimes(IEnumerable<LogStore.TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(timestampsToSearch);
        ThrowIfClosed();
        var query = new List<CK.TopicPartitionTimestamp>();
        foreach (LogStore.TopicPartitionTimestamp t in timestampsToSearch)
            query.Add(new CK.TopicPartitionTimestamp(t.TopicPartition.ToKafka(), new Timestamp(t.Timestamp)));
        try
        {
            List<CK.TopicPartitionOffset> found = _consumer.OffsetsForTimes(query, timeout);
            var result = new List<LogStore.TopicPartitionOffset>(found.Count);
            foreach (CK.TopicPartitionOffset tpo in found)
                result.Add(tpo.ToLogStore());
            return result;
        }
        catch (KafkaException e)
        {
            throw KafkaErrors.From(e, default, producing: false);
        }
    }

    public long? OffsetForTimestamp(LogStore.TopicPartition partition, DateTimeOffset timestamp)
    {
        List<LogStore.TopicPartitionOffset> found = OffsetsForTimes([new LogStore.TopicPartitionTimestamp(partition, timestamp)], _requestTimeout);
        return found.Count == 1 && found[0].Offset >= 0 ? found[0].Offset : null;
    }

    private void ThrowIfNotAssigned(LogStore.TopicPartition partition)
    {
        foreach (CK.TopicPartition tp in _consumer.Assignment)
        {
            if (tp.Topic == partition.Topic && tp.Partition.Value == partition.Partition)
                return;
        }
        throw new InvalidOperationException($"{partition} is not assigned to this consumer; its assignment is [{string.Join(", ", Assignment)}].");
    }

    private string RequireGroup() => _options.GroupId ?? throw new InvalidOperationException(
        "Committed offsets belong to a group: set ConsumerOptions.GroupId to commit or read them.");

    private LogStoreException CommitFailed(KafkaException e) => e.Error.Code switch
    {
        ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId or ErrorCode.RebalanceInProgress or ErrorCode.Local_State =>
            new CommitFailedException(_options.GroupId!, _consumer.MemberId ?? "(none)", -1, $"{e.Error.Code}: {e.Error.Reason}"),
        _ => KafkaErrors.From(e, default, producing: false),
    };
}
