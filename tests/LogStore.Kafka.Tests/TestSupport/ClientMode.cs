namespace LogStore.Kafka.Tests.TestSupport;

/// <summary>Which <see cref="IClientSupplier"/> a contract test runs on.</summary>
public enum ClientMode
{
    /// <summary>The embedded <see cref="Broker"/> itself, in-process.</summary>
    Embedded,

    /// <summary>LogStore.Kafka's <see cref="KafkaClientSupplier"/> through the same broker's Kafka listener on loopback.</summary>
    Kafka,
}
