using System.Runtime.CompilerServices;
using LogStore.Buffers;
using LogStore.Records;

namespace LogStore.Clients;

/// <summary>
/// The <see cref="IProducer{TKey, TValue}"/> of a <see cref="Broker"/>, shaped as Kafka's KafkaProducer: a record is
/// serialized into a per-thread scratch buffer, partitioned, and copied into its partition's open batch in the
/// <see cref="RecordAccumulator"/>; the <see cref="Sender"/> appends sealed batches in the background. Producing a record
/// with no callback allocates nothing once buffers are warm. Thread-safe.
/// </summary>
internal sealed partial class Producer<TKey, TValue> : IProducer<TKey, TValue>
{
    // "key is null" on a value type boxes the key when the JIT does not see through it; with these read-only statics
    // (constants once the method is optimized) the check is gone for int and long keys.
    private static readonly bool s_keyCanBeNull = default(TKey) is null;
    private static readonly bool s_valueCanBeNull = default(TValue) is null;

    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;
    private readonly IPartitioner? _partitioner;
    private readonly ProducerClock _clock;

    // The built-in byte serializers write the value as it is: Produce batches such a value straight from the caller's
    // array, without first copying it into the scratch buffer.
    private readonly bool _valueIsRaw;
    private readonly Acks _acks;
    private readonly BufferPool _pool;
    private readonly RecordAccumulator _accumulator;
    private readonly Sender _sender;
    private readonly ProducerRegistry _registry;
    private int _disposed;

    public Producer(Broker broker, ProducerOptions options, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer)
    {
        _keySerializer = keySerializer;
        _valueSerializer = valueSerializer;

        // The default partitioner's null-key stickiness needs the accumulator's batch boundaries, so it is done here.
        _partitioner = options.Partitioner is DefaultPartitioner ? null : options.Partitioner;
        TimeProvider time = broker.Options.TimeProvider;
        _clock = new ProducerClock(time);
        _valueIsRaw = ReferenceEquals(valueSerializer, Serializers.ByteArray) || ReferenceEquals(valueSerializer, Serializers.ReadOnlyMemory);
        _rawKey = RawKeyOf(keySerializer);
        _acks = options.Acks;
        Sender? sender = null;
        _pool = new BufferPool(options.BufferMemory, options.BatchSize, options.Compression, options.MaxBlock, time, () => sender!.Wake());
        _accumulator = new RecordAccumulator(broker, _pool, options.BatchSize, time, () => sender!.Wake());
        _sender = sender = new Sender(_accumulator, _pool, options, time, broker.Logger, DeliveryReporter<TKey, TValue>.Instance,
            options.EnableIdempotence ? broker.ProducerIds : null, Forwarding.ProduceForwarder.For(broker, options));

        // Registered before the sender starts, so that a broker disposed meanwhile leaves nothing running.
        _registry = broker.GetService(static _ => new ProducerRegistry());
        _registry.Add(this);
        _sender.Start();
    }

    /// <summary>The buffer pool, for tests.</summary>
    internal BufferPool Pool => _pool;

    /// <summary>The producer id its batches carry, -1 when not idempotent; for tests.</summary>
    internal long ProducerId => _sender.ProducerId;

    /// <summary>Produce without a span (the traced Produce decides).</summary>
    private void ProduceCore(string topic, int explicitPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? onDelivery)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(message);
        _accumulator.ThrowIfClosed();
        LogStoreException? error;
        TopicPartition where;
        long timestamp;
        ProducerTopic? target = _accumulator.ResolveTopic(topic);
        if (target is null || target.Topic.IsInternal || explicitPartition < -1 || explicitPartition >= target.Partitions.Length)
        {
            error = target is null ? new UnknownTopicException(topic)
                : target.Topic.IsInternal ? InvalidTopicException.ForInternalTopic(topic, "produce to")
                : new UnknownTopicException(topic, explicitPartition);
            where = new TopicPartition(topic, explicitPartition);
            timestamp = Now(message);
        }
        else
        {
            object? completion = _acks == Acks.None ? null : onDelivery;
            error = AppendBlocking(target, explicitPartition, message, completion, out where, out timestamp);
            if (error is null && (completion is not null || onDelivery is null))
                return;
        }

        // Reached for an error known before batching, or Acks.None (done once batched): report here, off every lock.
        onDelivery?.Invoke(new DeliveryReport<TKey, TValue>(where, -1, DateTimeOffset.FromUnixTimeMilliseconds(timestamp), error, message));
    }

    /// <inheritdoc/>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _accumulator.FlushAsync(cancellationToken);
    }

    /// <summary>Flushes, stops the sender once everything is appended and delivered, then releases the buffer pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _accumulator.Close();
        await _sender.DisposeAsync().ConfigureAwait(false);
        _pool.Dispose();
        _accumulator.Dispose();
        _registry.Remove(this);
    }

    /// <summary>
    /// Serializes and appends one record, blocking for buffer memory when needed. Returns the error that fails the
    /// record's delivery before it is batched (record too large, negative timestamp), or null once it is batched.
    /// </summary>
    private LogStoreException? AppendBlocking(ProducerTopic target, int explicitPartition, Message<TKey, TValue> message, object? completion,
        out TopicPartition where, out long timestamp)
    {
        PooledBufferWriter? scratch = null;
        try
        {
            Span<byte> keyBuffer = stackalloc byte[RawKeyBytes];
            ProducerRecord record = TrySerializeRaw(message, keyBuffer, out timestamp, out ProducerRecord raw)
                ? raw
                : Serialize(target.Name, message, scratch = RecordAccumulator.RentScratch(), out timestamp);
            ProducerPartition partition = ChoosePartition(target, explicitPartition, in record, out bool sticky);
            where = partition.Id;
            if (Refused(partition, in record, target.Topic.Config) is { } refused)
                return refused;

            RecordBatchBuilder? spare = null;
            long spareCost = 0;
            bool waiting = false;
            try
            {
                AppendStatus status = _accumulator.Append(partition, in record, completion, message, sticky, ref spare, ref spareCost);
                if (status == AppendStatus.AbortedForNewBatch)
                {
                    partition = target.Partitions[target.NextStickyPartition(partition.Id.Partition)];
                    where = partition.Id;
                    status = _accumulator.Append(partition, in record, completion, message, false, ref spare, ref spareCost);
                }
                while (status == AppendStatus.NeedsBuffer)
                {
                    waiting = true;
                    (spare, spareCost) = _pool.Allocate(_accumulator.CapacityFor(in record));
                    status = _accumulator.Append(partition, in record, completion, message, false, ref spare, ref spareCost, waiting: true);
                }
            }
            finally
            {
                // Memory waited for but not used (another thread opened a batch meanwhile) goes back.
                if (spare is not null)
                    _pool.Deallocate(spare, spareCost, reusable: true);
                if (waiting)
                    _accumulator.EndWait();
            }
            return null;
        }
        finally
        {
            if (scratch is not null)
                RecordAccumulator.TrimScratch(scratch);
        }
    }

    /// <summary>
    /// Wraps a record with a raw (byte array or memory) value without copying it: the value's bytes are the caller's,
    /// valid for the synchronous append only; its key is null or one a built-in serializer writes as it is or into
    /// <paramref name="keyBuffer"/> (<see cref="TryWriteKey"/>). False for any other record, which goes through
    /// <see cref="Serialize"/>.
    /// </summary>
    private bool TrySerializeRaw(Message<TKey, TValue> message, Span<byte> keyBuffer, out long timestamp, out ProducerRecord record)
    {
        bool keyIsNull = s_keyCanBeNull && message.Key is null;
        ReadOnlySpan<byte> key = default;
        if (!_valueIsRaw || (!keyIsNull && !TryWriteKey(message.Key, keyBuffer, out key)))
        {
            timestamp = 0;
            record = default;
            return false;
        }
        TValue value = message.Value;
        ReadOnlySpan<byte> bytes;
        bool valueIsNull = false;
        if (typeof(TValue) == typeof(ReadOnlyMemory<byte>))
        {
            // Specialised for this value type: no boxing.
            bytes = Unsafe.As<TValue, ReadOnlyMemory<byte>>(ref value).Span;
        }
        else if (value is null)
        {
            bytes = default;
            valueIsNull = true;
        }
        else if ((object)value is byte[] array)
        {
            bytes = array;
        }
        else
        {
            timestamp = 0;
            record = default;
            return false;
        }
        timestamp = Now(message);
        record = ProducerRecord.Create(timestamp, key, keyIsNull, bytes, valueIsNull, message.Headers);
        return true;
    }

    /// <summary>Writes the key then the value into <paramref name="scratch"/> and measures the record.</summary>
    /// <exception cref="ProduceException">A serializer threw (Confluent's ProduceException with a serialization error).</exception>
    private ProducerRecord Serialize(string topic, Message<TKey, TValue> message, PooledBufferWriter scratch, out long timestamp)
    {
        TKey key = message.Key;
        TValue value = message.Value;
        bool keyIsNull = s_keyCanBeNull && key is null;
        bool valueIsNull = s_valueCanBeNull && value is null;
        bool serializingKey = true;
        int keyLength;
        try
        {
            if (!keyIsNull)
                _keySerializer.Serialize(key, scratch);
            keyLength = scratch.WrittenCount;
            serializingKey = false;
            if (!valueIsNull)
                _valueSerializer.Serialize(value, scratch);
        }
        catch (Exception e) when (e is not LogStoreException)
        {
            throw ProduceException.Serialization(topic, serializingKey, e);
        }
        ReadOnlySpan<byte> written = scratch.WrittenSpan;
        timestamp = Now(message);
        return ProducerRecord.Create(timestamp, written[..keyLength], keyIsNull, written[keyLength..], valueIsNull, message.Headers);
    }

    /// <summary>
    /// Why a serialized record is refused before it is batched, as Kafka's producer does: too large for the topic, or a
    /// negative timestamp (a date before 1970, which time retention would delete at its next check). Two compares per
    /// record; the log checks the timestamp bounds of the whole batch when it is appended.
    /// </summary>
    private static LogStoreException? Refused(ProducerPartition partition, scoped in ProducerRecord record, TopicConfig config)
    {
        if (record.SizeInOwnBatch > config.MaxMessageBytes)
            return new RecordTooLargeException(partition.Id, record.SizeInOwnBatch, config.MaxMessageBytes);
        if (record.Timestamp < 0)
            return InvalidTimestampException.Negative(partition.Id, record.Timestamp);
        return null;
    }

    private long Now(Message<TKey, TValue> message) =>
        message.Timestamp is { } timestamp ? timestamp.ToUnixTimeMilliseconds() : _clock.UnixMilliseconds();

    /// <summary>
    /// The record's partition: the one asked for, the custom partitioner's, murmur2 of the key, or (null key, default
    /// partitioner) the topic's sticky partition, in which case <paramref name="sticky"/> is set.
    /// </summary>
    private ProducerPartition ChoosePartition(ProducerTopic target, int explicitPartition, scoped in ProducerRecord record, out bool sticky)
    {
        int count = target.Partitions.Length;
        sticky = false;
        int index;
        if (explicitPartition >= 0)
        {
            index = explicitPartition;
        }
        else if (_partitioner is not null)
        {
            index = _partitioner.Partition(target.Name, record.Key, record.KeyIsNull, count);
            if ((uint)index >= (uint)count)
                throw new InvalidOperationException($"The partitioner {_partitioner.GetType().Name} chose partition {index} of topic '{target.Name}', which has {count} partitions.");
        }
        else if (record.KeyIsNull)
        {
            index = target.StickyPartition();
            sticky = true;
        }
        else
        {
            index = Murmur2.Partition(record.Key, count);
        }
        return target.Partitions[index];
    }
}
