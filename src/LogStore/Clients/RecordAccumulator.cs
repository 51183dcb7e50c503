using LogStore.Buffers;
using LogStore.Records;

namespace LogStore.Clients;

/// <summary>How an append went.</summary>
internal enum AppendStatus
{
    /// <summary>The record is in a batch.</summary>
    Appended,

    /// <summary>A new batch was needed and the caller asked to choose another (sticky) partition first.</summary>
    AbortedForNewBatch,

    /// <summary>A new batch was needed and no buffer was free: wait for one, then append again with it.</summary>
    NeedsBuffer,
}

/// <summary>
/// Kafka's RecordAccumulator: one open batch per partition, filled with serialized records, sealed when the next record
/// would pass the batch size (or the topic's max.message.bytes) or when <see cref="ProducerOptions.Linger"/> has passed
/// since its first record, and queued for the <see cref="Sender"/> in seal order.
/// </summary>
/// <remarks>
/// <para>Locks, always taken in this order: a partition's lock (its open batch), then the open list's lock (open batches,
/// oldest first, for linger), then the sealed queue's lock. The buffer pool's lock is taken under a partition lock only
/// for the non-blocking <see cref="BufferPool.TryAllocate"/>; waiting for memory happens outside every lock.</para>
/// <para>Bounded: every open or sealed batch holds a builder from the pool, so the open list and the sealed queue never
/// hold more batches than <see cref="ProducerOptions.BufferMemory"/> allows.</para>
/// </remarks>
internal sealed partial class RecordAccumulator : IDisposable
{
    /// <summary>A scratch buffer larger than this is dropped after use rather than kept by its thread.</summary>
    private const int MaxRetainedScratch = 1 << 20;

    [ThreadStatic]
    private static PooledBufferWriter? t_scratch;

    private readonly Broker _broker;
    private readonly BufferPool _pool;
    private readonly TimeProvider _time;
    private readonly Action _wakeSender;
    private readonly int _batchSize;
    private readonly Lock _topicsLock = new();
    private volatile Dictionary<string, ProducerTopic> _topics = new(StringComparer.Ordinal);
    private ProducerTopic? _lastTopic;
    private int _waitingAppends;
    private volatile bool _closed;
    private volatile bool _quiesced;

    public RecordAccumulator(Broker broker, BufferPool pool, int batchSize, TimeProvider time, Action wakeSender)
    {
        _broker = broker;
        _pool = pool;
        _batchSize = batchSize;
        _time = time;
        _wakeSender = wakeSender;
    }

    /// <summary>Whether <see cref="Close"/> has run: no record is batched from now on but those of <see cref="HasWaitingAppends"/>.</summary>
    public bool IsClosed => _quiesced;

    /// <summary>Whether a Produce call that found no buffer is still waiting for one (it will batch its record).</summary>
    public bool HasWaitingAppends => Volatile.Read(ref _waitingAppends) > 0;

    /// <summary>Throws <see cref="ObjectDisposedException"/> once closed: the cheap early check of a Produce call (the
    /// binding one is made under the partition's lock, in <see cref="Append"/>).</summary>
    public void ThrowIfClosed()
    {
        if (_closed)
            ThrowClosed();
    }

    private static void ThrowClosed() => throw new ObjectDisposedException("Producer", "The producer was disposed.");

    /// <summary>The calling thread's scratch buffer, emptied; serializers write the key and value into it.</summary>
    public static PooledBufferWriter RentScratch()
    {
        PooledBufferWriter scratch = t_scratch ??= new PooledBufferWriter(4096);
        scratch.Clear();
        return scratch;
    }

    /// <summary>Drops the thread's scratch buffer when one huge record made it large.</summary>
    public static void TrimScratch(PooledBufferWriter scratch)
    {
        if (scratch.Buffer.Length > MaxRetainedScratch)
        {
            t_scratch = null;
            scratch.Dispose();
        }
    }

    /// <summary>Ends a wait that <see cref="Append"/> registered by returning <see cref="AppendStatus.NeedsBuffer"/>.</summary>
    public void EndWait()
    {
        if (Interlocked.Decrement(ref _waitingAppends) == 0 && _closed)
            _wakeSender();
    }

    /// <summary>
    /// Refuses new records from now on; the sender drains what is there. Every partition's lock is taken once after the
    /// flag is set, so an append that saw the producer open under a lock has finished before the sender is told: the
    /// closed check costs Produce no interlocked operation of its own.
    /// </summary>
    public void Close()
    {
        Dictionary<string, ProducerTopic> topics;
        lock (_topicsLock)
        {
            _closed = true;
            topics = _topics;
        }
        foreach (ProducerTopic topic in topics.Values)
        {
            foreach (ProducerPartition partition in topic.Partitions)
            {
                lock (partition.Lock)
                {
                }
            }
        }
        _quiesced = true;
        _wakeSender();
    }

    /// <summary>The producer's view of <paramref name="name"/>, or null when the broker has no such topic.</summary>
    public ProducerTopic? ResolveTopic(string name)
    {
        object version = _broker.TopicsVersion;
        ProducerTopic? last = _lastTopic;
        if (last is not null && ReferenceEquals(last.TopicsVersion, version) && (ReferenceEquals(last.Name, name) || last.Name == name))
            return last;
        return ResolveTopicSlow(name, version);
    }

    private ProducerTopic? ResolveTopicSlow(string name, object version)
    {
        if (!_broker.TryGetTopic(name, out Topic? topic))
            return null;
        if (!_topics.TryGetValue(name, out ProducerTopic? known) || !ReferenceEquals(known.Topic, topic) || !known.IsCurrent)
        {
            lock (_topicsLock)
            {
                // Close sweeps the partitions known when it sets the flag: none may be added after.
                if (_closed)
                    ThrowClosed();
                if (known is not null && ReferenceEquals(known.Topic, topic))
                {
                    // The same topic, altered or grown: its open batches stay where they are.
                    if (!known.IsCurrent)
                        known.Refresh();
                }
                else if (!_topics.TryGetValue(name, out known) || !ReferenceEquals(known.Topic, topic))
                {
                    // Copy on write: Produce reads the table without a lock. A replaced entry (the topic was deleted and
                    // created again) keeps its open batches; they are sealed by linger and fail with the old partitions.
                    known = new ProducerTopic(topic, version, _batchSize);
                    _topics = new Dictionary<string, ProducerTopic>(_topics, StringComparer.Ordinal) { [name] = known };
                }
            }
        }
        known.TopicsVersion = version;
        _lastTopic = known;
        return known;
    }

    /// <summary>
    /// Appends <paramref name="record"/> to <paramref name="partition"/>'s open batch, sealing it first when the record
    /// does not fit. A new batch takes <paramref name="spare"/> when given (from a wait for memory), else a free pool
    /// buffer; without either it returns <see cref="AppendStatus.NeedsBuffer"/> and, unless <paramref name="waiting"/>,
    /// registers a wait the caller ends with <see cref="EndWait"/> once its record is batched (or failed). With
    /// <paramref name="abortOnNewBatch"/>, a needed new batch returns <see cref="AppendStatus.AbortedForNewBatch"/>, so
    /// that a null key can move to another partition (Kafka's abortOnNewBatch).
    /// </summary>
    /// <exception cref="BufferExhaustedException">The record needs more buffer than the whole pool.</exception>
    /// <exception cref="ObjectDisposedException">The producer is closed (and the call is not a registered wait).</exception>
    public AppendStatus Append(ProducerPartition partition, scoped in ProducerRecord record, object? completion, object? message, bool abortOnNewBatch,
        ref RecordBatchBuilder? spare, ref long spareCost, bool waiting = false)
    {
        lock (partition.Lock)
        {
            // A call that already waits for memory was counted before the close: its record still goes in.
            if (_closed && !waiting)
                ThrowClosed();
            ProducerBatch? batch = partition.Open;
            if (batch is not null)
            {
                if (batch.HasRoomFor(record.SizeUpperBound))
                {
                    batch.Append(in record, completion, message);
                    return AppendStatus.Appended;
                }
                SealLocked(partition, batch);
            }
            if (abortOnNewBatch)
                return AppendStatus.AbortedForNewBatch;

            RecordBatchBuilder? builder = spare;
            long cost = spareCost;
            if (builder is not null)
            {
                spare = null;
                spareCost = 0;
            }
            else if (!_pool.TryAllocate(CapacityFor(record), out builder, out cost))
            {
                // Counted under the lock: Close's sweep of the locks then sees it, and the sender waits for it.
                if (!waiting)
                    Interlocked.Increment(ref _waitingAppends);
                return AppendStatus.NeedsBuffer;
            }

            batch = OpenLocked(partition, builder, cost);
            batch.Append(in record, completion, message);

            // A record too big for any batch of this topic travels alone: nothing else would fit after it.
            if (RecordBatch.HeaderSize + (long)record.SizeUpperBound > partition.Topic.SealLimit)
                SealLocked(partition, batch);
            return AppendStatus.Appended;
        }
    }

    /// <summary>The builder capacity a new batch starting with <paramref name="record"/> needs.</summary>
    public int CapacityFor(scoped in ProducerRecord record) =>
        (int)Math.Min(Math.Max(_batchSize, RecordBatch.HeaderSize + (long)record.SizeUpperBound), Array.MaxLength);

    public void Dispose()
    {
        lock (_sparesLock)
            _spareBatches.Clear();
    }
}
