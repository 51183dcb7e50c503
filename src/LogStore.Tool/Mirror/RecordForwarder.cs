using Kafka = Confluent.Kafka;

namespace LogStore.Tool.Mirror;

/// <summary>
/// Hands the records of stored batches to the Confluent producer, each with its key, value, headers and timestamp.
/// A compressed batch is decompressed here and its records re-batched by the producer (with its own compression.type);
/// a LogAppendTime batch's records go as CreateTime carrying the time the store appended them, which the cluster then
/// keeps. Control batches carry no records of the application and are skipped. One thread.
/// </summary>
internal sealed class RecordForwarder(Kafka.IProducer<byte[]?, byte[]?> producer)
{
    // When librdkafka's queue is full (queue.buffering.max.messages/kbytes), wait this long for deliveries to make room.
    private static readonly TimeSpan s_queueFullWait = TimeSpan.FromMilliseconds(100);

    /// <summary>Records sent that the store had stamped with LogAppendTime.</summary>
    public long LogAppendTimeRecords { get; private set; }

    /// <summary>Records sent with a null value (tombstones), kept as such.</summary>
    public long Tombstones { get; private set; }

    /// <summary>The codecs of the compressed batches met, as flags of 1 &lt;&lt; codec id.</summary>
    public int CompressedCodecs { get; private set; }

    /// <summary>
    /// Produces the records of <paramref name="batch"/> from <see cref="PartitionProgress.Next"/> up to
    /// <see cref="PartitionProgress.End"/>, moving <see cref="PartitionProgress.Next"/> past each one produced.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled while waiting for room in the producer's queue; Next is the
    /// first record not produced.</exception>
    public void Forward(RecordBatch batch, PartitionProgress progress, CancellationToken cancellationToken)
    {
        if (!batch.IsControlBatch)
        {
            bool logAppendTime = batch.TimestampType == TimestampType.LogAppendTime;
            if (batch.Compression != CompressionType.None)
                CompressedCodecs |= 1 << (int)batch.Compression;
            foreach (Record record in batch)
            {
                if (record.Offset < progress.Next)
                    continue;
                if (record.Offset >= progress.End)
                    break;
                Produce(progress, record.Offset, ToMessage(record, out int size), cancellationToken);
                progress.Next = record.Offset + 1;
                progress.Produced++;
                progress.ProducedBytes += size;
                if (logAppendTime)
                    LogAppendTimeRecords++;
                if (record.IsValueNull)
                    Tombstones++;
            }
        }
        // Past the batch even when compaction left no record at its last offsets.
        progress.Next = Math.Max(progress.Next, Math.Min(batch.NextOffset, progress.End));
    }

    private void Produce(PartitionProgress progress, long offset, Kafka.Message<byte[]?, byte[]?> message, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(progress.Target, message, progress.OnDelivery);
                return;
            }
            catch (Kafka.ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == Kafka.ErrorCode.Local_QueueFull)
            {
                // Backpressure: the queue drains as the cluster acknowledges; Flush waits for that without a sleep.
                cancellationToken.ThrowIfCancellationRequested();
                producer.Flush(s_queueFullWait);
            }
            catch (Kafka.ProduceException<byte[]?, byte[]?> e)
            {
                // Known at once (a record above message.max.bytes, a producer fenced by a fatal error): stop there.
                throw new CommandException($"the producer refused offset {offset} of partition {progress.Source.Id.Partition}: {e.Error.Reason}");
            }
        }
    }

    /// <summary>
    /// The record as Confluent's message. Confluent's API takes whole arrays for the key, the value and each header,
    /// and a message object per record, so this allocates per record; librdkafka copies them at Produce, so nothing
    /// here outlives the call.
    /// </summary>
    private static Kafka.Message<byte[]?, byte[]?> ToMessage(Record record, out int size)
    {
        byte[]? key = record.KeyToArray();
        byte[]? value = record.ValueToArray();
        size = (key?.Length ?? 0) + (value?.Length ?? 0);
        Kafka.Headers? headers = null;
        if (record.HeaderCount > 0)
        {
            headers = new Kafka.Headers();
            foreach (RecordHeader header in record.Headers)
            {
                byte[]? headerValue = header.IsValueNull ? null : header.Value.ToArray();
                headers.Add(header.GetKeyString(), headerValue);
                size += header.Key.Length + (headerValue?.Length ?? 0);
            }
        }
        return new Kafka.Message<byte[]?, byte[]?>
        {
            Key = key,
            Value = value,
            Headers = headers,
            // A record without a timestamp (-1) gets the producer's clock, as a Kafka producer would give it.
            Timestamp = record.Timestamp >= 0 ? new Kafka.Timestamp(record.Timestamp, Kafka.TimestampType.CreateTime) : Kafka.Timestamp.Default,
        };
    }
}
