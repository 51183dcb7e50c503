namespace LogStore;

/// <summary>
/// Produces messages to a <see cref="Broker"/>'s topics: records are serialized into a per-partition open batch, the
/// batch is sealed when full or when <see cref="ProducerOptions.Linger"/> has passed, compressed as a whole and
/// appended by a sender loop. Thread-safe. Disposing flushes, then releases the buffer pool.
/// </summary>
/// <remarks>A message to an internal topic (<see cref="Topic.IsInternal"/>, such as <c>__consumer_offsets</c>) fails with
/// <see cref="InvalidTopicException"/>: only LogStore writes those.</remarks>
public interface IProducer<TKey, TValue> : IAsyncDisposable
{
    /// <summary>Produces one message to <paramref name="topic"/>, partitioned by the producer's partitioner; completes
    /// when its batch is appended (and, with <see cref="Acks.All"/> and a flush policy, durable).</summary>
    ValueTask<DeliveryResult> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Produces one message to a given partition.</summary>
    ValueTask<DeliveryResult> ProduceAsync(TopicPartition partition, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Produces one message without waiting; <paramref name="onDelivery"/> is called once with its report: the
    /// message, and its offset or its error (always a <see cref="LogStoreException"/>). A handler of the base type
    /// (<c>Action&lt;DeliveryReport&gt;</c>) is accepted too.</summary>
    /// <exception cref="ProduceException">The key or value serializer threw; nothing was written and no report follows.</exception>
    /// <exception cref="BufferExhaustedException">No batch buffer became free within <see cref="ProducerOptions.MaxBlock"/>.</exception>
    void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery = null);

    /// <summary>Produces one message to a given partition without waiting; <paramref name="onDelivery"/> is called
    /// once with its report (<see cref="UnknownTopicException"/> for a partition the topic lacks).</summary>
    /// <exception cref="ProduceException">The key or value serializer threw; nothing was written and no report follows.</exception>
    /// <exception cref="BufferExhaustedException">No batch buffer became free within <see cref="ProducerOptions.MaxBlock"/>.</exception>
    void Produce(TopicPartition partition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery = null);

    /// <summary>Completes when everything produced before the call is appended.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
