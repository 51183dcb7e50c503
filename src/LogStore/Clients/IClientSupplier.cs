namespace LogStore;

/// <summary>
/// Where an application gets its producers and consumers and does the few admin operations it needs: the embedded
/// <see cref="Broker"/>, or LogStore.Kafka's <c>KafkaClientSupplier</c> on a Kafka cluster (after Kafka Streams'
/// <c>KafkaClientSupplier</c>, which hands out producers, consumers and the admin client). Code written against this
/// interface runs unchanged on either; what only the embedded store can do (the raw <see cref="Partition"/> API,
/// read-only open, local files) stays on <see cref="Broker"/>.
/// </summary>
/// <remarks>Thread-safe. The supplier owns what the clients talk to: dispose the clients before it.</remarks>
public interface IClientSupplier : IAsyncDisposable
{
    /// <summary>Creates a producer; null serializers take the built-in one of the type (string, byte[],
    /// ReadOnlyMemory&lt;byte&gt;, int, long, <see cref="Null"/>).</summary>
    /// <exception cref="ArgumentException">No serializer was given for a type without a built-in one.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
    IProducer<TKey, TValue> CreateProducer<TKey, TValue>(ProducerOptions? options = null,
        ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null);

    /// <summary>Creates a consumer; null deserializers take the built-in one of the type, as for producers.</summary>
    /// <exception cref="ArgumentException">No deserializer was given for a type without a built-in one.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
    IConsumer<TKey, TValue> CreateConsumer<TKey, TValue>(ConsumerOptions options,
        IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null);

    /// <summary>Creates a topic with <paramref name="config"/>'s partitions and settings (Kafka's CreateTopics); null for
    /// the store's or the cluster's defaults.</summary>
    /// <exception cref="TopicExistsException">A topic of that name exists.</exception>
    /// <exception cref="InvalidTopicException">The name breaks Kafka's rule, or names an internal topic.</exception>
    ValueTask CreateTopicAsync(string name, TopicConfig? config = null, CancellationToken cancellationToken = default);

    /// <summary>The partitions of <paramref name="topic"/>, in order (Kafka's <c>partitionsFor</c>): what an application
    /// that reads every partition by hand (replays, per-partition workers) iterates.</summary>
    /// <exception cref="UnknownTopicException">No topic has that name.</exception>
    ValueTask<IReadOnlyList<TopicPartition>> PartitionsForAsync(string topic, CancellationToken cancellationToken = default);

    /// <summary>Deletes a topic and its records (Kafka's DeleteTopics).</summary>
    /// <exception cref="UnknownTopicException">No topic has that name.</exception>
    ValueTask DeleteTopicAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Deletes the records of <paramref name="partition"/> below <paramref name="beforeOffset"/> (Kafka's
    /// DeleteRecords); returns the new log start offset.</summary>
    /// <exception cref="UnknownTopicException">The topic or partition does not exist.</exception>
    /// <exception cref="OffsetOutOfRangeException"><paramref name="beforeOffset"/> is above the high watermark.</exception>
    ValueTask<long> DeleteRecordsAsync(TopicPartition partition, long beforeOffset, CancellationToken cancellationToken = default);

    /// <summary>The ids of the consumer groups, ordered (Kafka's <c>kafka-consumer-groups --list</c>).</summary>
    ValueTask<IReadOnlyList<string>> ListConsumerGroupsAsync(CancellationToken cancellationToken = default);

    /// <summary>A consumer group's members, committed offsets and lag (Kafka's <c>kafka-consumer-groups --describe</c>).</summary>
    ValueTask<ConsumerGroupDescription> DescribeConsumerGroupAsync(string groupId, CancellationToken cancellationToken = default);
}
