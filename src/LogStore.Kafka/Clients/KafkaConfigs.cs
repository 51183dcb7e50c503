using Confluent.Kafka;

namespace LogStore.Kafka.Clients;

/// <summary>
/// LogStore's producer and consumer options as Confluent.Kafka (librdkafka) settings, each under the name Kafka uses.
/// The supplier's own <see cref="KafkaClientSupplierOptions.Config"/> is applied last, so it can override any of them.
/// </summary>
internal static class KafkaConfigs
{
    public static ProducerConfig Producer(KafkaClientSupplierOptions supplier, ProducerOptions options)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = supplier.BootstrapServers,
            BatchSize = options.BatchSize,
            LingerMs = options.Linger.TotalMilliseconds,
            // buffer.memory is bytes; librdkafka's bound on the queue is in KiB.
            QueueBufferingMaxKbytes = (int)Math.Clamp(options.BufferMemory / 1024, 1, int.MaxValue),
            CompressionType = options.Compression switch
            {
                LogStore.CompressionType.Gzip => Confluent.Kafka.CompressionType.Gzip,
                LogStore.CompressionType.Snappy => Confluent.Kafka.CompressionType.Snappy,
                LogStore.CompressionType.Lz4 => Confluent.Kafka.CompressionType.Lz4,
                LogStore.CompressionType.Zstd => Confluent.Kafka.CompressionType.Zstd,
                _ => Confluent.Kafka.CompressionType.None,
            },
            Acks = options.Acks switch
            {
                LogStore.Acks.None => Confluent.Kafka.Acks.None,
                LogStore.Acks.Leader => Confluent.Kafka.Acks.Leader,
                _ => Confluent.Kafka.Acks.All,
            },
            // The Java client's default, and LogStore's: murmur2 of the key, so a key lands on the same partition
            // embedded and on the cluster (librdkafka's own default, consistent_random, hashes with CRC32).
            Partitioner = Partitioner.Murmur2Random,
            // The embedded store never creates a topic by producing to it; neither does this producer.
            AllowAutoCreateTopics = false,
        };
        return Apply(config, supplier);
    }

    public static ConsumerConfig Consumer(KafkaClientSupplierOptions supplier, ConsumerOptions options)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = supplier.BootstrapServers,
            // Confluent's consumer requires a group.id even for Assign only: a consumer without a group gets one of its
            // own that it never commits to (auto-commit off, Commit refused as embedded), so Offset.Stored falls back to
            // auto.offset.reset as embedded.
            GroupId = options.GroupId ?? "logstore-assign-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = options.AutoOffsetReset switch
            {
                LogStore.AutoOffsetReset.Earliest => Confluent.Kafka.AutoOffsetReset.Earliest,
                LogStore.AutoOffsetReset.Error => Confluent.Kafka.AutoOffsetReset.Error,
                _ => Confluent.Kafka.AutoOffsetReset.Latest,
            },
            EnableAutoCommit = options.EnableAutoCommit && options.GroupId is not null,
            AutoCommitIntervalMs = (int)Math.Min(options.AutoCommitInterval.TotalMilliseconds, int.MaxValue),
            EnableAutoOffsetStore = options.EnableAutoOffsetStore,
            EnablePartitionEof = options.EnablePartitionEof,
            FetchMaxBytes = options.FetchMaxBytes,
            MaxPartitionFetchBytes = options.MaxPartitionFetchBytes,
            PartitionAssignmentStrategy = options.PartitionAssignmentStrategy switch
            {
                LogStore.PartitionAssignmentStrategy.RoundRobin => Confluent.Kafka.PartitionAssignmentStrategy.RoundRobin,
                LogStore.PartitionAssignmentStrategy.CooperativeSticky => Confluent.Kafka.PartitionAssignmentStrategy.CooperativeSticky,
                _ => Confluent.Kafka.PartitionAssignmentStrategy.Range,
            },
            SessionTimeoutMs = (int)Math.Min(options.SessionTimeout.TotalMilliseconds, int.MaxValue),
            HeartbeatIntervalMs = (int)Math.Min(options.HeartbeatInterval.TotalMilliseconds, int.MaxValue),
            AllowAutoCreateTopics = false,
        };
        // max.poll.records has no librdkafka equivalent: Confluent's Consume returns one record at a time from a
        // prefetched queue, whose bounds are the fetch sizes above.
        return Apply(config, supplier);
    }

    public static AdminClientConfig Admin(KafkaClientSupplierOptions supplier) =>
        Apply(new AdminClientConfig { BootstrapServers = supplier.BootstrapServers }, supplier);

    private static T Apply<T>(T config, KafkaClientSupplierOptions supplier) where T : ClientConfig
    {
        if (supplier.Config is { } overrides)
        {
            foreach ((string key, string value) in overrides)
                config.Set(key, value);
        }
        return config;
    }
}
