using Microsoft.Extensions.Logging;

namespace LogStore.Clients;

/// <summary>
/// One batch of a producer: a <see cref="RecordBatchBuilder"/> from the <see cref="Buffers.BufferPool"/>, the partition it
/// goes to, and the deliveries waiting on it. Open while records are added under its partition's lock; sealed, it belongs
/// to the sender, which builds, appends and delivers it. Batch objects are reused; <see cref="Generation"/> tells a stale
/// reference from the current use.
/// </summary>
internal sealed class ProducerBatch
{
    /// <summary>Deliveries beyond this many are not kept in a recycled batch's array.</summary>
    private const int MaxRetainedPending = 4096;

    private PendingDelivery[] _pending = [];
    private int _pendingCount;

    public RecordBatchBuilder? Builder { get; private set; }

    /// <summary>What <see cref="Builder"/> is charged in the pool.</summary>
    public long Cost { get; private set; }

    public ProducerPartition Partition { get; private set; } = null!;

    /// <summary>When the first record came (the <see cref="TimeProvider"/>'s timestamp), for linger.</summary>
    public long CreatedTimestamp { get; private set; }

    /// <summary>Incremented at each reuse.</summary>
    public int Generation { get; private set; }

    public bool IsOpen { get; set; }

    /// <summary>Links of the accumulator's list of open batches, oldest first.</summary>
    public ProducerBatch? OlderOpen { get; set; }

    public ProducerBatch? NewerOpen { get; set; }

    /// <summary>Set by the sender: where the batch landed, or why it did not.</summary>
    public long BaseOffset { get; set; } = -1;

    public DateTimeOffset? LogAppendTime { get; set; }

    /// <summary>Always typed: the sender wraps any other failure (<see cref="ProduceException.Wrap"/>).</summary>
    public LogStoreException? Error { get; set; }

    /// <summary>Set by the sender: the built batch kept the pool's common footprint, so its builder can be reused.</summary>
    public bool Reusable { get; set; }

    public void Initialize(ProducerPartition partition, RecordBatchBuilder builder, long cost, long createdTimestamp)
    {
        Generation++;
        Partition = partition;
        Builder = builder;
        Cost = cost;
        CreatedTimestamp = createdTimestamp;
        IsOpen = true;
        BaseOffset = -1;
        LogAppendTime = null;
        Error = null;
        Reusable = false;
    }

    /// <summary>Whether a record of at most <paramref name="sizeUpperBound"/> bytes fits before the seal limit.</summary>
    public bool HasRoomFor(int sizeUpperBound) =>
        (long)Builder!.EstimatedSizeInBytes + sizeUpperBound <= Partition.Topic.SealLimit;

    /// <summary>Appends a record; <paramref name="completion"/> (a Produce handler or a delivery source) is told its
    /// outcome, a handler with <paramref name="message"/>.</summary>
    public void Append(scoped in ProducerRecord record, object? completion, object? message)
    {
        RecordBatchBuilder builder = Builder!;
        int index = builder.RecordCount;
        builder.Append(record.Timestamp, record.Key, record.Value, record.Headers, record.KeyIsNull, record.ValueIsNull);
        if (completion is not null)
        {
            if (_pendingCount == _pending.Length)
                Array.Resize(ref _pending, Math.Max(16, _pending.Length * 2));
            _pending[_pendingCount++] = new PendingDelivery(index, record.Timestamp, completion, message);
        }
    }

    /// <summary>Gives the builder back to its owner, after the append.</summary>
    public RecordBatchBuilder TakeBuilder()
    {
        RecordBatchBuilder builder = Builder!;
        Builder = null;
        return builder;
    }

    /// <summary>
    /// Completes every waiting delivery with its offset and timestamp, or <see cref="Error"/>. Callbacks run here, on the
    /// sender, outside every lock; one that throws is logged and the others still run.
    /// </summary>
    public void Deliver(ILogger logger, DeliveryReporter reporter)
    {
        TopicPartition id = Partition.Id;
        LogStoreException? error = Error;
        for (int i = 0; i < _pendingCount; i++)
        {
            PendingDelivery pending = _pending[i];
            _pending[i] = default;
            long offset = error is null ? BaseOffset + pending.Index : -1;
            DateTimeOffset timestamp = LogAppendTime ?? DateTimeOffset.FromUnixTimeMilliseconds(pending.Timestamp);
            if (pending.Completion is ProducerDeliverySource source)
            {
                if (error is null)
                    source.SetResult(new DeliveryResult(id, offset, timestamp));
                else
                    source.SetException(error);
                continue;
            }

            try
            {
                reporter.Report(pending.Completion, pending.Message!, id, offset, timestamp, error);
            }
            catch (Exception e)
            {
                ProducerLog.DeliveryCallbackFailed(logger, id, e);
            }
        }
        _pendingCount = 0;
        if (_pending.Length > MaxRetainedPending)
            _pending = [];
    }

    private readonly record struct PendingDelivery(int Index, long Timestamp, object Completion, object? Message);
}
