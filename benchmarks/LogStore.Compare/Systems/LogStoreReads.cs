using LogStore.BenchmarkShared;
using System.Runtime.CompilerServices;

namespace LogStore.Compare.Systems;

/// <summary>LogStore's read paths: fetches decoded as spans (the partition path), a consumer handing out
/// <see cref="Message{TKey, TValue}"/> objects or lending records as spans (the client paths), plus a read of one
/// record by offset.</summary>
internal static class LogStoreReads
{
    /// <summary>Kafka's max.partition.fetch.bytes: what one ReadAsync asks for.</summary>
    public const int FetchBytes = 1 << 20;

    /// <summary>ReadAsync of 1 MiB fetches from offset 0 to the end, every record decoded (RecordBatch and Record are
    /// views over the fetch buffer: no copy, no allocation per record); returns the value bytes seen.</summary>
    public static long ReadAllAsSpans(Partition partition) =>
        SpanReads.ReadAllAsync(partition, FetchBytes).AsTask().GetAwaiter().GetResult();

    /// <summary>An <see cref="IConsumer{TKey, TValue}"/> (no group) assigned every partition from offset 0,
    /// ConsumeAsync until <paramref name="records"/> are seen: a ConsumeResult, a Message and a byte[] per record.</summary>
    public static long ConsumeAll(Broker broker, Topic topic, long records) =>
        Consume<byte[], ArrayLength>(broker, topic, records, Deserializers.ByteArray);

    /// <summary>As <see cref="ConsumeAll"/> with <see cref="Deserializers.ReadOnlyMemory"/>: each value a view of the
    /// fetched bytes instead of a byte[] (copies where records average 512 B or more).</summary>
    public static long ConsumeAllAsViews(Broker broker, Topic topic, long records) =>
        Consume<ReadOnlyMemory<byte>, MemoryLength>(broker, topic, records, Deserializers.ReadOnlyMemory);

    /// <summary>The lending consumer: an <see cref="IConsumer{TKey, TValue}"/> (no group) assigned every partition from
    /// offset 0, <see cref="IConsumer{TKey, TValue}.ConsumeBatchAsync"/> until <paramref name="records"/> are seen, each
    /// record's value a span into the fetch whose length is summed (what the FasterLog row does with
    /// <c>UnsafeGetNext</c>'s length); each batch disposed before the next call.</summary>
    public static long ConsumeAllLent(Broker broker, Topic topic, long records)
    {
        IConsumer<Null, byte[]> consumer = broker.CreateConsumer(new ConsumerOptions(), Deserializers.Null, Deserializers.ByteArray);
        try
        {
            consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, 0)));
            long valueBytes = 0;
            long seen = 0;
            while (seen < records)
            {
                ValueTask<ConsumedBatch?> next = consumer.ConsumeBatchAsync(TimeSpan.FromSeconds(10));
                using ConsumedBatch batch = (next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult())
                    ?? throw new InvalidOperationException($"No record after {seen} of {records}.");
                foreach (ConsumedRecord record in batch)
                {
                    valueBytes += record.Value.Length;
                    seen++;
                }
            }
            return valueBytes;
        }
        finally
        {
            consumer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    // A struct type argument, not a delegate: the JIT compiles the loop per value type with the length inlined, so the
    // harness adds no call per record to what the consumer costs.
    private interface IValueLength<in TValue>
    {
        static abstract int Of(TValue value);
    }

    private readonly struct ArrayLength : IValueLength<byte[]>
    {
        public static int Of(byte[] value) => value.Length;
    }

    private readonly struct MemoryLength : IValueLength<ReadOnlyMemory<byte>>
    {
        public static int Of(ReadOnlyMemory<byte> value) => value.Length;
    }

    private static long Consume<TValue, TLength>(Broker broker, Topic topic, long records, IDeserializer<TValue> values)
        where TLength : struct, IValueLength<TValue>
    {
        IConsumer<Null, TValue> consumer = broker.CreateConsumer(new ConsumerOptions(), Deserializers.Null, values);
        try
        {
            consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, 0)));
            long valueBytes = 0;
            for (long seen = 0; seen < records; seen++)
            {
                // A synchronous caller takes a completed ValueTask's result directly; AsTask() on every record would
                // allocate a Task per record that the consumer never made.
                ValueTask<ConsumeResult<Null, TValue>?> next = consumer.ConsumeAsync(TimeSpan.FromSeconds(10));
                ConsumeResult<Null, TValue> result = (next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult())
                    ?? throw new InvalidOperationException($"No record after {seen} of {records}.");
                valueBytes += TLength.Of(result.Message.Value);
            }
            return valueBytes;
        }
        finally
        {
            consumer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>One record by offset: a fetch of the batch holding it (maxBytes 1: one batch), found by the offset
    /// index, CRC-checked, then the record found with RecordEnumerator.MoveTo (the records before it stepped over by
    /// their lengths). Returns its value length.</summary>
    public static int ReadAt(Partition partition, long offset)
    {
        using FetchResult fetch = partition.ReadAsync(offset, 1).GetAwaiter().GetResult();
        foreach (RecordBatch batch in fetch)
        {
            if (batch.LastOffset < offset)
                continue;
            using RecordEnumerator records = batch.GetEnumerator();
            if (records.MoveTo(offset) && records.Current.Offset == offset)
                return records.Current.Value.Length;
        }
        throw new InvalidOperationException($"Offset {offset} was not in the fetch.");
    }
}
