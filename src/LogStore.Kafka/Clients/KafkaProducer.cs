using Confluent.Kafka;
using CK = Confluent.Kafka;

namespace LogStore.Kafka.Clients;

/// <summary>
/// LogStore's <see cref="LogStore.IProducer{TKey, TValue}"/> on Confluent's producer: librdkafka batches, compresses,
/// retries and sends; this class converts messages, delivery reports and errors. Thread-safe, as Confluent's producer.
/// Disposing flushes (as the embedded producer does), then closes the connection.
/// </summary>
/// <remarks>
/// <see cref="ProducerOptions.MaxBlock"/> is kept by waiting while librdkafka's queue (bounded by
/// <see cref="ProducerOptions.BufferMemory"/>) is full, as the Java producer blocks in send; after it
/// <see cref="BufferExhaustedException"/> is thrown, as embedded.
/// </remarks>
internal sealed class KafkaProducer<TKey, TValue> : LogStore.IProducer<TKey, TValue>
{
    private static readonly TimeSpan QueueFullWait = TimeSpan.FromMilliseconds(50);
    private readonly CK.IProducer<TKey, TValue> _producer;
    private readonly ProducerOptions _options;
    private int _disposed;

    public KafkaProducer(KafkaClientSupplierOptions supplier, ProducerOptions options,
        LogStore.ISerializer<TKey> keySerializer, LogStore.ISerializer<TValue> valueSerializer)
    {
        _options = options;
        var builder = new ProducerBuilder<TKey, TValue>(KafkaConfigs.Producer(supplier, options))
            .SetKeySerializer(new SerializerAdapter<TKey>(keySerializer))
            .SetValueSerializer(new SerializerAdapter<TValue>(valueSerializer));
        if (options.Partitioner is { } partitioner)
        {
            builder.SetDefaultPartitioner((string topic, int partitionCount, ReadOnlySpan<byte> key, bool keyIsNull) =>
                new CK.Partition(partitioner.Partition(topic, key, keyIsNull, partitionCount)));
        }
        _producer = builder.Build();
    }

    public async ValueTask<LogStore.DeliveryResult> ProduceAsync(string topic, LogStore.Message<TKey, TValue> message,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(message);
        return await ProduceAsyncCore(new CK.TopicPartition(topic, CK.Partition.Any), message, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<LogStore.DeliveryResult> ProduceAsync(LogStore.TopicPartition partition, LogStore.Message<TKey, TValue> message,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return await ProduceAsyncCore(partition.ToKafka(), message, cancellationToken).ConfigureAwait(false);
    }

    public void Produce(string topic, LogStore.Message<TKey, TValue> message, Action<LogStore.DeliveryReport<TKey, TValue>>? onDelivery = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(message);
        ProduceCore(new CK.TopicPartition(topic, CK.Partition.Any), message, onDelivery);
    }

    public void Produce(LogStore.TopicPartition partition, LogStore.Message<TKey, TValue> message,
        Action<LogStore.DeliveryReport<TKey, TValue>>? onDelivery = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ProduceCore(partition.ToKafka(), message, onDelivery);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Confluent's Flush blocks until the queue is empty: off the caller's thread, cancellable.
        await Task.Factory.StartNew(static state =>
        {
            var (producer, token) = ((CK.IProducer<TKey, TValue>, CancellationToken))state!;
            producer.Flush(token);
        }, (_producer, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            await Task.Factory.StartNew(static p => ((CK.IProducer<TKey, TValue>)p!).Flush(Timeout.InfiniteTimeSpan), _producer,
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            _producer.Dispose();
        }
    }

    private async Task<LogStore.DeliveryResult> ProduceAsyncCore(CK.TopicPartition target, LogStore.Message<TKey, TValue> message,
        CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<LogStore.DeliveryResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ProduceCore(target, message, report =>
        {
            if (report.Error is { } error)
                completion.TrySetException(error);
            else
                completion.TrySetResult(new LogStore.DeliveryResult(report.TopicPartition, report.Offset, report.Timestamp));
        });
        return await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void ProduceCore(CK.TopicPartition target, LogStore.Message<TKey, TValue> message, Action<LogStore.DeliveryReport<TKey, TValue>>? onDelivery)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CK.Message<TKey, TValue> outgoing = KafkaMessages.ToKafka(message);
        // Confluent hands its handler a copy of the message, not the one given: the original travels with the handler.
        var delivery = new Delivery(message, onDelivery);
        long deadline = _options.MaxBlock == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)_options.MaxBlock.TotalMilliseconds;
        while (true)
        {
            try
            {
                _producer.Produce(target, outgoing, delivery.OnDelivery);
                return;
            }
            catch (ProduceException<TKey, TValue> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                if (Environment.TickCount64 >= deadline)
                    throw new BufferExhaustedException(-1, _options.BufferMemory, _options.MaxBlock);
                // The queue drains as deliveries complete (served by the producer's own poll thread): wait a little.
                _producer.Poll(QueueFullWait);
            }
            catch (ProduceException<TKey, TValue> e) when (e.Error.Code is ErrorCode.Local_KeySerialization or ErrorCode.Local_ValueSerialization)
            {
                bool isKey = e.Error.Code == ErrorCode.Local_KeySerialization;
                throw new ProduceException(target.ToLogStore(),
                    $"The {(isKey ? "key" : "value")} serializer threw for a message to {target.Topic}; nothing was written.", e.InnerException ?? e);
            }
            catch (ProduceException<TKey, TValue> e)
            {
                // Refused before queueing (too large for message.max.bytes, unknown partition): reported as embedded.
                delivery.Report(target.ToLogStore(), -1, message.Timestamp ?? DateTimeOffset.UtcNow, KafkaErrors.From(e, target.ToLogStore(), producing: true));
                return;
            }
        }
    }

    /// <summary>One message's delivery: the LogStore message and the caller's handler, for Confluent's report.</summary>
    private sealed class Delivery(LogStore.Message<TKey, TValue> original, Action<LogStore.DeliveryReport<TKey, TValue>>? onDelivery)
    {
        public void OnDelivery(CK.DeliveryReport<TKey, TValue> report)
        {
            var partition = new LogStore.TopicPartition(report.Topic, report.Partition.Value);
            DateTimeOffset timestamp = report.Timestamp.Type == CK.TimestampType.NotAvailable
                ? original.Timestamp ?? DateTimeOffset.UtcNow
                : KafkaMessages.ToDateTimeOffset(report.Timestamp);
            if (report.Error.IsError)
                Report(partition, -1, timestamp, KafkaErrors.ToException(report.Error, partition, producing: true));
            else
                Report(partition, report.Offset.Value, timestamp, null);
        }

        public void Report(LogStore.TopicPartition partition, long offset, DateTimeOffset timestamp, LogStoreException? error) =>
            onDelivery?.Invoke(new LogStore.DeliveryReport<TKey, TValue>(partition, offset, timestamp, error, original));
    }
}
