namespace LogStore.Kafka;

/// <summary>Where the Kafka cluster is and how to reach it: what every producer, consumer and admin client of a
/// <see cref="KafkaClientSupplier"/> is configured with, under the settings mapped from LogStore's options.</summary>
public sealed class KafkaClientSupplierOptions
{
    /// <summary>The cluster's bootstrap servers, <c>host:port[,host:port...]</c> (bootstrap.servers). Required.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>
    /// Confluent.Kafka (librdkafka) settings by name, such as <c>security.protocol</c>, <c>sasl.mechanism</c>,
    /// <c>client.id</c>; a <c>Confluent.Kafka.ClientConfig</c> can be passed as it is. They are applied after the
    /// settings mapped from <see cref="ProducerOptions"/> and <see cref="ConsumerOptions"/>, so they win. Default none.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>>? Config { get; init; }

    /// <summary>How long an admin operation, a committed-offset or watermark query waits for the cluster before it
    /// fails with a <see cref="TimeoutException"/>. Default 30 s (request.timeout.ms's order).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(BootstrapServers, nameof(BootstrapServers));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
    }
}
