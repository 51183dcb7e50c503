namespace LogStore.Kafka.Hosting;

/// <summary>
/// The settings of the Kafka cluster registered by <c>AddLogStoreKafka</c>: the mutable twin of
/// <see cref="KafkaClientSupplierOptions"/>, so that a configure delegate can set them and the <c>"LogStore:Kafka"</c>
/// configuration section can be bound to them.
/// </summary>
/// <example>
/// <code language="json">
/// "LogStore": {
///   "Kafka": {
///     "BootstrapServers": "kafka-1:9092,kafka-2:9092",
///     "Config": { "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512" },
///     "Topics": { "orders": { "Partitions": 6, "ReplicationFactor": 3 } }
///   }
/// }
/// </code>
/// </example>
public sealed class LogStoreKafkaOptions
{
    /// <summary>The configuration section <c>AddLogStoreKafka(configuration)</c> binds: <c>"LogStore:Kafka"</c>.</summary>
    public const string SectionName = "LogStore:Kafka";

    internal const string MissingBootstrapServersMessage =
        "LogStore:Kafka:BootstrapServers is required: set it in configuration or in the AddLogStoreKafka delegate.";

    /// <summary>The cluster's bootstrap servers, <c>host:port[,host:port...]</c> (bootstrap.servers). Required.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>Confluent.Kafka (librdkafka) settings by name, applied over those mapped from LogStore's options.</summary>
    public IDictionary<string, string> Config { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long admin operations and offset queries wait for the cluster. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Topics created when the host starts if missing (an existing topic is left as it is); a null
    /// configuration takes the cluster's defaults.</summary>
    public IDictionary<string, TopicConfig?> Topics { get; } = new Dictionary<string, TopicConfig?>(StringComparer.Ordinal);

    /// <summary>The <see cref="KafkaClientSupplierOptions"/> these settings describe.</summary>
    /// <exception cref="InvalidOperationException"><see cref="BootstrapServers"/> is not set.</exception>
    public KafkaClientSupplierOptions ToSupplierOptions() => new()
    {
        BootstrapServers = string.IsNullOrWhiteSpace(BootstrapServers)
            ? throw new InvalidOperationException(MissingBootstrapServersMessage)
            : BootstrapServers,
        Config = new Dictionary<string, string>(Config, StringComparer.Ordinal),
        RequestTimeout = RequestTimeout,
    };
}
