namespace LogStore;

/// <summary>
/// Consumes records from a <see cref="Broker"/>'s topics, either from partitions assigned by hand
/// (<see cref="Assign"/>) or as a member of a consumer group (<see cref="Subscribe"/>) whose members share the
/// topics' partitions. Not thread-safe: one consumer is used by one logical reader at a time, as in Kafka.
/// </summary>
public interface IConsumer<TKey, TValue> : IAsyncDisposable
{
    /// <summary>The group this consumer belongs to, or null when it is assigned partitions by hand.</summary>
    string? GroupId { get; }

    /// <summary>The partitions currently assigned.</summary>
    IReadOnlyList<TopicPartition> Assignment { get; }

    /// <summary>Joins the group for <paramref name="topics"/>; partitions are assigned by the group.</summary>
    void Subscribe(IEnumerable<string> topics);

    /// <summary>Leaves the group; the assignment becomes empty.</summary>
    void Unsubscribe();

    /// <summary>Consumes the given partitions from the given offsets, outside any group management.</summary>
    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Moves the position of an assigned partition.</summary>
    void Seek(TopicPartitionOffset position);

    /// <summary>The offset of the next record this consumer will return from <paramref name="partition"/>.</summary>
    long Position(TopicPartition partition);

    /// <summary>Returns the next record, waiting up to <paramref name="timeout"/> for one; null when none came.</summary>
    /// <remarks>A deserializer's exception reaches the caller (from the call or its await); the position has already
    /// moved past that record, so the next call goes on with the following one.</remarks>
    ValueTask<ConsumeResult<TKey, TValue>?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lends the next records of one partition without copying them: keys, values and headers are spans into the
    /// consumer's fetched (and decompressed) buffers, readable until the batch is disposed or the consumer is called
    /// again; enumerating allocates nothing and moves the partition's position past each record as it is returned, so
    /// commits, auto-commit and rebalances work as with <see cref="ConsumeAsync"/>. Waits up to
    /// <paramref name="timeout"/> for a record; null when none came. See <see cref="ConsumedBatch"/> for the contract.
    /// </summary>
    /// <example><code>
    /// using ConsumedBatch? batch = await consumer.ConsumeBatchAsync(TimeSpan.FromSeconds(1), cancellationToken);
    /// if (batch is { } records)
    ///     foreach (ConsumedRecord record in records)
    ///         Handle(record.Offset, record.Key, record.Value);
    /// </code></example>
    /// <remarks>Records pass the same CRC checks as <see cref="ConsumeAsync"/>'s: a damaged batch throws
    /// <see cref="CorruptRecordException"/> and none of its records is lent. Keys and values are raw bytes: the
    /// consumer's deserializers are not used. The default implementation, for implementations outside LogStore, throws
    /// <see cref="NotSupportedException"/>; <see cref="Broker.CreateConsumer{TKey, TValue}"/>'s consumer implements it.</remarks>
    /// <exception cref="NotSupportedException">This implementation does not lend records.</exception>
    ValueTask<ConsumedBatch?> ConsumeBatchAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not lend records; use ConsumeAsync.");

    /// <summary>Every record, as it arrives, until cancelled.</summary>
    IAsyncEnumerable<ConsumeResult<TKey, TValue>> ConsumeAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Commits the current positions of every assigned partition.</summary>
    void Commit();

    /// <summary>Commits the given offsets (the next offset to read, as in Kafka).</summary>
    void Commit(IEnumerable<TopicPartitionOffset> offsets);

    /// <summary>Commits <paramref name="result"/>'s partition at the offset after it.</summary>
    void Commit(ConsumeResult<TKey, TValue> result);

    /// <summary>Stores the offset after <paramref name="result"/> for the next commit (needs
    /// <see cref="ConsumerOptions.EnableAutoOffsetStore"/> off).</summary>
    void StoreOffset(ConsumeResult<TKey, TValue> result);

    /// <summary>Stores <paramref name="offset"/> (the next offset to read) for the next commit, auto or
    /// <see cref="Commit()"/> (needs <see cref="ConsumerOptions.EnableAutoOffsetStore"/> off).</summary>
    void StoreOffset(TopicPartitionOffset offset);

    /// <summary>Stops returning records of <paramref name="partitions"/> (assigned ones) until they are resumed; their
    /// positions stay.</summary>
    void Pause(IEnumerable<TopicPartition> partitions);

    /// <summary>Returns records of paused <paramref name="partitions"/> again.</summary>
    void Resume(IEnumerable<TopicPartition> partitions);

    /// <summary>Adds partitions to a manual assignment, leaving the others as they are.</summary>
    void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions);

    /// <summary>Removes partitions from a manual assignment (auto-committing them first), leaving the others.</summary>
    void IncrementalUnassign(IEnumerable<TopicPartition> partitions);

    /// <summary>The partition's log start offset and high watermark. In-process they are exact, never a cached view.</summary>
    WatermarkOffsets GetWatermarkOffsets(TopicPartition partition);

    /// <summary>The same as <see cref="GetWatermarkOffsets"/>: a store in the same process answers at once
    /// (Confluent.Kafka asks the broker, waiting up to <paramref name="timeout"/>).</summary>
    WatermarkOffsets QueryWatermarkOffsets(TopicPartition partition, TimeSpan timeout);

    /// <summary>For each partition, the first offset whose timestamp is at or after the one given, or
    /// <see cref="Offset.End"/> when there is none (Confluent.Kafka's OffsetsForTimes).</summary>
    List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestampsToSearch, TimeSpan timeout);

    /// <summary>The committed offset of <paramref name="partition"/> for this consumer's group, or null.</summary>
    long? Committed(TopicPartition partition);

    /// <summary>The first offset of <paramref name="partition"/> whose timestamp is at or after <paramref name="timestamp"/>, or null.</summary>
    long? OffsetForTimestamp(TopicPartition partition, DateTimeOffset timestamp);

    /// <summary>Raised after a rebalance gives this consumer partitions.</summary>
    event Action<IReadOnlyList<TopicPartition>>? PartitionsAssigned;

    /// <summary>Raised before a rebalance takes partitions away, and once more for every owned partition when the
    /// consumer closes (<see cref="Close"/> or <see cref="IAsyncDisposable.DisposeAsync"/>); <see cref="Commit()"/>
    /// works inside it.</summary>
    event Action<IReadOnlyList<TopicPartition>>? PartitionsRevoked;

    /// <summary>
    /// Leaves the group cleanly (committing first when auto-commit is on, then raising
    /// <see cref="PartitionsRevoked"/>), or commits a manual assignment's positions when auto-commit is on, and
    /// releases the consumer's buffers, as Confluent.Kafka's <c>Close</c>. Unlike
    /// <see cref="IAsyncDisposable.DisposeAsync"/>, which logs and swallows them, it throws what went wrong (a
    /// handler's exception, a failed commit). Disposing afterwards does nothing.
    /// </summary>
    void Close();
}
