using System.Buffers;
using LogStore.Records;
using LogStore.Storage;
using LogStore.Storage.Replication;

namespace LogStore;

/// <summary>
/// The log of one partition: an ordered, append-only sequence of batches with dense offsets, stored as Kafka
/// segments in <c>&lt;data directory&gt;/&lt;topic&gt;-&lt;partition&gt;/</c>. Thread-safe: appends are serialised,
/// reads run concurrently with them.
/// </summary>
public sealed class Partition
{
    private readonly PartitionLog _log;
    private readonly PartitionReplica _replica;
    private readonly bool _isInternal;
    private static readonly int[] SingleNode = [0];
    private volatile Cluster.Metadata.PartitionRegistration? _registration;

    internal Partition(PartitionLog log, ReplicaRole role = ReplicaRole.Leader)
    {
        _log = log;
        _replica = new PartitionReplica(log, role);
        _isInternal = InternalTopics.IsInternal(log.Id.Topic);
    }

    /// <summary>The local log, for storage maintenance (flush, retention, the cleaner, admin); appends and reads go
    /// through <see cref="Replica"/>.</summary>
    internal PartitionLog Log => _log;

    /// <summary>This node's replica of the partition: the door for appends and reads.</summary>
    internal PartitionReplica Replica => _replica;

    /// <summary>The topic and partition number.</summary>
    public TopicPartition Id => _log.Id;

    /// <summary>True when the partition could not be opened with its Broker (Kafka's offline partition): every other
    /// member throws <see cref="PartitionOfflineException"/>, naming the cause, until the Broker is reopened.</summary>
    public bool IsOffline => _log.OfflineCause is not null;

    /// <summary>The first offset that can be read.</summary>
    /// <exception cref="PartitionOfflineException">The partition is offline.</exception>
    public long LogStartOffset => Online.LogStartOffset;

    /// <summary>The offset the next appended record will get.</summary>
    /// <exception cref="PartitionOfflineException">The partition is offline.</exception>
    public long LogEndOffset => Online.LogEndOffset;

    /// <summary>The offset up to which records are committed (all of them on a single node: equal to <see cref="LogEndOffset"/>).</summary>
    /// <exception cref="PartitionOfflineException">The partition is offline.</exception>
    public long HighWatermark
    {
        get
        {
            _ = Online;
            return _replica.HighWatermark;
        }
    }

    /// <summary>The node leading the partition: on a single node always 0 (its node id); in a cluster the controller's
    /// choice as this node last applied it, null while nobody leads (every in-sync replica is down).</summary>
    public int? Leader => _registration is { } r ? (r.Leader >= 0 ? r.Leader : null) : 0;

    /// <summary>The nodes holding a replica, the preferred leader first (<c>[0]</c> on a single node).</summary>
    public IReadOnlyList<int> Replicas => _registration?.Replicas ?? SingleNode;

    /// <summary>The replicas caught up with the leader (Kafka's ISR): a record is committed once every one of them holds
    /// it (<c>[0]</c> on a single node).</summary>
    public IReadOnlyList<int> InSyncReplicas => _registration?.Isr ?? SingleNode;

    /// <summary>The controller's state of the partition as this node last applied it; null on a single node.</summary>
    internal Cluster.Metadata.PartitionRegistration? Registration
    {
        get => _registration;
        set => _registration = value;
    }

    /// <summary>A snapshot of the partition's segments, oldest first.</summary>
    /// <exception cref="PartitionOfflineException">The partition is offline.</exception>
    public IReadOnlyList<SegmentInfo> Segments => Online.GetSegmentInfos();

    // An offline log would answer 0 for its offsets: a consumer must never take that for the partition's real end.
    private PartitionLog Online
    {
        get
        {
            _log.ThrowIfOffline();
            _log.Follow();
            return _log;
        }
    }

    /// <summary>
    /// Appends a whole batch and assigns its offsets. The batch's baseOffset and partitionLeaderEpoch are rewritten
    /// in its buffer (both lie outside the CRC), as a Kafka leader does; with
    /// <see cref="TimestampType.LogAppendTime"/> its timestamp is set too. The append reaches the OS page cache;
    /// durability comes from <see cref="FlushAsync"/> or the topic's flush policy.
    /// </summary>
    /// <exception cref="RecordTooLargeException">The batch exceeds <see cref="TopicConfig.MaxMessageBytes"/>.</exception>
    /// <exception cref="CorruptRecordException">The batch is not a valid RecordBatch v2 (length, magic, CRC, offsets).</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed or the topic deleted.</exception>
    /// <exception cref="StorageException">The disk failed; the log stays readable.</exception>
    /// <exception cref="PartitionOfflineException">The partition could not be opened with its Broker.</exception>
    /// <exception cref="InvalidTopicException">The partition belongs to an internal topic (<c>__consumer_offsets</c>),
    /// which only LogStore writes (<see cref="InvalidTopicException.IsInternalTopic"/> is true).</exception>
    public ValueTask<AppendResult> AppendAsync(RecordBatch batch, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<AppendResult>(cancellationToken);
        if (_isInternal)
            return ValueTask.FromException<AppendResult>(InvalidTopicException.ForInternalTopic(_log.Id.Topic, "append to"));
        try
        {
            return ValueTask.FromResult(_replica.AppendAsLeader(batch));
        }
        catch (Exception e)
        {
            return ValueTask.FromException<AppendResult>(e);
        }
    }

    /// <summary>
    /// Appends <paramref name="batches"/> in order as one append (Kafka's append of a produce request's records): they
    /// get consecutive offsets, and those bound for one segment reach it in one write. A write per batch costs the kernel
    /// more per byte and leaves the page cache in pieces the size of a batch, which later reads copy more slowly; a bulk
    /// writer that has several batches at hand should append them together. Each batch is treated as by
    /// <see cref="AppendAsync(RecordBatch, CancellationToken)"/>, and every one is validated before any is written: a
    /// refused batch, wherever it is, leaves the log as it was.
    /// </summary>
    /// <returns>Where they landed: the first batch's base offset to the last one's last offset.</returns>
    /// <remarks>A batch of an idempotent producer (one with a producer id) is checked against the producer's state as it
    /// is appended: a retry of one already in the log is answered with its first offsets; a sequence gap or a fenced
    /// epoch stops the append there, after the batches before it (retrying the whole call then appends none of them
    /// twice). A disk failure can likewise leave the batches before it appended: <see cref="LogEndOffset"/> says where the
    /// log ends.</remarks>
    /// <exception cref="ArgumentException"><paramref name="batches"/> is empty, or two of them share bytes (the same batch
    /// twice, or overlapping slices of one buffer): each batch's offsets are written into its buffer.</exception>
    /// <exception cref="RecordTooLargeException">A batch exceeds <see cref="TopicConfig.MaxMessageBytes"/>; nothing was appended.</exception>
    /// <exception cref="CorruptRecordException">A batch is not a valid RecordBatch v2 (length, magic, CRC, offsets); nothing was appended.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed or the topic deleted.</exception>
    /// <exception cref="StorageException">The disk failed; the log stays readable.</exception>
    /// <exception cref="PartitionOfflineException">The partition could not be opened with its Broker.</exception>
    /// <exception cref="InvalidTopicException">The partition belongs to an internal topic (<c>__consumer_offsets</c>),
    /// which only LogStore writes (<see cref="InvalidTopicException.IsInternalTopic"/> is true).</exception>
    public ValueTask<AppendResult> AppendAsync(ReadOnlyMemory<RecordBatch> batches, CancellationToken cancellationToken = default)
    {
        if (batches.IsEmpty)
            throw new ArgumentException("At least one batch is needed.", nameof(batches));
        if (SharedBytes.Any(batches.Span))
            throw new ArgumentException("Two of the batches share bytes; each needs its own, since the append writes its offsets into it.", nameof(batches));
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<AppendResult>(cancellationToken);
        if (_isInternal)
            return ValueTask.FromException<AppendResult>(InvalidTopicException.ForInternalTopic(_log.Id.Topic, "append to"));
        AppendResult[] results = ArrayPool<AppendResult>.Shared.Rent(batches.Length);
        try
        {
            int appended = _replica.AppendAllAsLeader(batches.Span, results, out LogStoreException? error);
            if (error is not null)
                return ValueTask.FromException<AppendResult>(error);
            AppendResult last = results[appended - 1];
            return ValueTask.FromResult(last with { BaseOffset = results[0].BaseOffset });
        }
        catch (Exception e)
        {
            return ValueTask.FromException<AppendResult>(e);
        }
        finally
        {
            ArrayPool<AppendResult>.Shared.Return(results);
        }
    }

    /// <summary>
    /// Reads whole batches starting with the one that holds <paramref name="offset"/>: at least one batch, even when
    /// it is larger than <paramref name="maxBytes"/>, then more while they fit (Kafka's fetch). At the log end it waits
    /// up to <paramref name="maxWait"/> for an append, then returns what is there (possibly nothing).
    /// Dispose the result to return its buffer.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">The offset is below <see cref="LogStartOffset"/> or above <see cref="LogEndOffset"/>.</exception>
    /// <exception cref="CorruptRecordException">The stored bytes are damaged; nothing damaged is ever returned as data.</exception>
    /// <exception cref="PartitionOfflineException">The partition could not be opened with its Broker.</exception>
    public ValueTask<FetchResult> ReadAsync(long offset, int maxBytes, TimeSpan maxWait = default, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return _replica.ReadCommittedAsync(offset, maxBytes, maxWait, cancellationToken);
    }

    /// <summary>The first offset whose record timestamp is at or after <paramref name="timestamp"/>, or null when every record is older.</summary>
    public long? OffsetForTimestamp(DateTimeOffset timestamp) => _log.OffsetForTimestamp(timestamp.ToUnixTimeMilliseconds());

    /// <summary>fsyncs the log and its indexes: every record appended before the call survives a crash or power loss.</summary>
    /// <remarks>Concurrent callers share one fsync (group commit); a caller whose records an fsync in progress covers
    /// waits for it instead of starting its own. The partition's checkpoint is then brought up to date, so that the
    /// recovery after an unclean stop never cuts a flushed byte, even a damaged one (damage is reported instead).</remarks>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return _log.FlushAndCheckpointAsync(Online.LogEndOffset, cancellationToken);
        }
        catch (Exception e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Id.ToString();
}
