using Confluent.Kafka;
using LogStore.Kafka.Clients;

namespace LogStore.Kafka;

/// <summary>
/// LogStore's <see cref="IClientSupplier"/> on a Kafka cluster: producers, consumers and admin operations through
/// Confluent.Kafka, so that an application written against <see cref="IClientSupplier"/>, <see cref="IProducer{TKey, TValue}"/>
/// and <see cref="IConsumer{TKey, TValue}"/> moves from the embedded <see cref="Broker"/> to a cluster by changing
/// only where it gets its supplier. Named after Kafka Streams' <c>KafkaClientSupplier</c>, which hands out the same three.
/// </summary>
/// <remarks>
/// <para>LogStore's options are mapped to Kafka's settings of the same meaning (batch.size, linger.ms, acks,
/// compression.type, group.id, auto.offset.reset, enable.auto.commit, partition.assignment.strategy,
/// session.timeout.ms, ...); <see cref="KafkaClientSupplierOptions.Config"/> overrides them. Errors are LogStore's
/// typed exceptions (<see cref="UnknownTopicException"/>, <see cref="RecordTooLargeException"/>, ...), with
/// Confluent's <see cref="KafkaException"/> inside when there is no LogStore type for them.</para>
/// <para>What only the embedded store has (the raw <see cref="Partition"/> API, read-only open, local files,
/// <see cref="ConsumerOptions.MaxPollRecords"/>) is not here; see the README's "Outgrowing one machine".
/// Thread-safe. Dispose the clients first: disposing the supplier closes its admin client only.</para>
/// </remarks>
public sealed partial class KafkaClientSupplier : IClientSupplier
{
    private readonly KafkaClientSupplierOptions _options;
    private readonly Lazy<IAdminClient> _admin;
    private int _disposed;

    /// <summary>Creates the supplier; nothing connects before the first client or admin operation.</summary>
    /// <exception cref="ArgumentException"><see cref="KafkaClientSupplierOptions.BootstrapServers"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
    public KafkaClientSupplier(KafkaClientSupplierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _admin = new Lazy<IAdminClient>(() => new AdminClientBuilder(KafkaConfigs.Admin(_options)).Build());
    }

    /// <summary>The settings it was created with.</summary>
    public KafkaClientSupplierOptions Options => _options;

    /// <summary>Creates a producer on Confluent's, with <paramref name="options"/> mapped to Kafka's producer settings
    /// and partitioning by murmur2 of the key, as the embedded producer and Kafka's Java client.</summary>
    /// <inheritdoc/>
    public IProducer<TKey, TValue> CreateProducer<TKey, TValue>(ProducerOptions? options = null,
        ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null)
    {
        ThrowIfDisposed();
        options ??= new ProducerOptions();
        options.Validate();
        keySerializer ??= Broker.BuiltInSerializer<TKey>(nameof(keySerializer));
        valueSerializer ??= Broker.BuiltInSerializer<TValue>(nameof(valueSerializer));
        return new KafkaProducer<TKey, TValue>(_options, options, keySerializer, valueSerializer);
    }

    /// <summary>Creates a consumer on Confluent's, with <paramref name="options"/> mapped to Kafka's consumer settings
    /// (<see cref="ConsumerOptions.MaxPollRecords"/> has no equivalent: Confluent returns one prefetched record at a time).</summary>
    /// <inheritdoc/>
    public IConsumer<TKey, TValue> CreateConsumer<TKey, TValue>(ConsumerOptions options,
        IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ThrowIfDisposed();
        keyDeserializer ??= Broker.DefaultDeserializer<TKey>(nameof(keyDeserializer));
        valueDeserializer ??= Broker.DefaultDeserializer<TValue>(nameof(valueDeserializer));
        return new KafkaConsumer<TKey, TValue>(_options, options, keyDeserializer, valueDeserializer);
    }

    /// <summary>"Kafka cluster at " and the bootstrap servers, for logs.</summary>
    public override string ToString() => $"Kafka cluster at {_options.BootstrapServers}";

    /// <summary>Closes the admin client. Producers and consumers are the caller's to dispose (before this).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _admin.IsValueCreated)
            _admin.Value.Dispose();
        return ValueTask.CompletedTask;
    }

    private IAdminClient Admin
    {
        get
        {
            ThrowIfDisposed();
            return _admin.Value;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
