using System.Buffers;
using LogStore.Records;

namespace LogStore.Clients;

internal sealed partial class Producer<TKey, TValue>
{
    /// <inheritdoc/>
    public ValueTask<DeliveryResult> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(message);
        return ProduceAsync(topic, -1, message, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask<DeliveryResult> ProduceAsync(TopicPartition partition, Message<TKey, TValue> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partition.Topic, nameof(partition));
        ArgumentNullException.ThrowIfNull(message);
        return partition.Partition < 0
            ? ValueTask.FromException<DeliveryResult>(new UnknownTopicException(partition.Topic, partition.Partition))
            : ProduceAsync(partition.Topic, partition.Partition, message, cancellationToken);
    }

    /// <summary>
    /// The fast path appends synchronously and returns the delivery's pooled awaitable; only a wait for buffer memory
    /// goes async (<see cref="AppendWhenBufferFreeAsync"/>), with the serialized bytes copied out of the thread's scratch.
    /// </summary>
    private ValueTask<DeliveryResult> ProduceCoreAsync(string topic, int explicitPartition, Message<TKey, TValue> message, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<DeliveryResult>(cancellationToken);
        _accumulator.ThrowIfClosed();
        bool endWait = false;
        ProducerDeliverySource? source = null;
        PooledBufferWriter? scratch = null;
        try
        {
            ProducerTopic? target = _accumulator.ResolveTopic(topic);
            if (target is null)
                return ValueTask.FromException<DeliveryResult>(new UnknownTopicException(topic));
            if (target.Topic.IsInternal)
                return ValueTask.FromException<DeliveryResult>(InvalidTopicException.ForInternalTopic(topic, "produce to"));
            if (explicitPartition >= target.Partitions.Length)
                return ValueTask.FromException<DeliveryResult>(new UnknownTopicException(topic, explicitPartition));

            scratch = RecordAccumulator.RentScratch();
            ProducerRecord record = Serialize(topic, message, scratch, out long timestamp);
            ProducerPartition partition = ChoosePartition(target, explicitPartition, in record, out bool sticky);
            if (Refused(partition, in record, target.Topic.Config) is { } refused)
                return ValueTask.FromException<DeliveryResult>(refused);

            source = _acks == Acks.None ? null : ProducerDeliverySource.Rent();
            RecordBatchBuilder? spare = null;
            long spareCost = 0;
            AppendStatus status = _accumulator.Append(partition, in record, source, null, sticky, ref spare, ref spareCost);
            if (status == AppendStatus.AbortedForNewBatch)
            {
                partition = target.Partitions[target.NextStickyPartition(partition.Id.Partition)];
                status = _accumulator.Append(partition, in record, source, null, false, ref spare, ref spareCost);
            }
            if (status == AppendStatus.NeedsBuffer)
            {
                // The accumulator registered the wait; the async path ends it, or this method if the copy fails.
                endWait = true;
                byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(scratch.WrittenCount, 1));
                scratch.WrittenSpan.CopyTo(copy);
                var pending = new PendingRecord(copy, record.Key.Length, record.KeyIsNull, record.Value.Length, record.ValueIsNull,
                    timestamp, message.Headers, _accumulator.CapacityFor(in record));
                ProducerDeliverySource? waiting = source;
                source = null;
                endWait = false;
                return AppendWhenBufferFreeAsync(partition, pending, waiting, cancellationToken);
            }

            if (source is null)
                return ValueTask.FromResult(new DeliveryResult(partition.Id, -1, DateTimeOffset.FromUnixTimeMilliseconds(timestamp)));
            ValueTask<DeliveryResult> delivery = source.Task;
            source = null;
            return delivery;
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            return ValueTask.FromException<DeliveryResult>(e);
        }
        finally
        {
            source?.ReturnUnused();
            if (scratch is not null)
                RecordAccumulator.TrimScratch(scratch);
            if (endWait)
                _accumulator.EndWait();
        }
    }

    /// <summary>The slow path: waits (asynchronously, up to MaxBlock, honouring cancellation) for buffer memory, then appends.</summary>
    private async ValueTask<DeliveryResult> AppendWhenBufferFreeAsync(ProducerPartition partition, PendingRecord pending,
        ProducerDeliverySource? source, CancellationToken cancellationToken)
    {
        bool batched = false;
        try
        {
            (RecordBatchBuilder builder, long cost) = await _pool.AllocateAsync(pending.Capacity, cancellationToken).ConfigureAwait(false);
            RecordBatchBuilder? spare = builder;
            long spareCost = cost;
            try
            {
                ReadOnlySpan<byte> bytes = pending.Bytes;
                ProducerRecord record = ProducerRecord.Create(pending.Timestamp, bytes[..pending.KeyLength], pending.KeyIsNull,
                    bytes.Slice(pending.KeyLength, pending.ValueLength), pending.ValueIsNull, pending.Headers);
                _accumulator.Append(partition, in record, source, null, false, ref spare, ref spareCost, waiting: true);
                batched = true;
            }
            finally
            {
                if (spare is not null)
                    _pool.Deallocate(spare, spareCost, reusable: true);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pending.Bytes);
            if (!batched)
                source?.ReturnUnused();
            _accumulator.EndWait();
        }

        return source is null
            ? new DeliveryResult(partition.Id, -1, DateTimeOffset.FromUnixTimeMilliseconds(pending.Timestamp))
            : await source.Task.ConfigureAwait(false);
    }

    /// <summary>A serialized record kept across the wait for memory.</summary>
    private sealed record PendingRecord(byte[] Bytes, int KeyLength, bool KeyIsNull, int ValueLength, bool ValueIsNull,
        long Timestamp, Headers? Headers, int Capacity);
}
