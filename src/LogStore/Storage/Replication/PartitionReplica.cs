using System.Runtime.ExceptionServices;
using LogStore.Protocol;

namespace LogStore.Storage.Replication;

/// <summary>
/// This node's replica of one partition (Kafka's <c>Partition</c> over its <c>UnifiedLog</c>; ours is named so because
/// <see cref="Partition"/> is the public type): the role, the leader epoch and the high watermark around the
/// <see cref="PartitionLog"/>. It is the door for appends and reads: a leader append stamps the leader epoch, a follower
/// append keeps the leader's, consumer reads stop at the high watermark, follower fetches at the log end. On a single
/// node it leads and the high watermark follows the log end after every append.
/// </summary>
internal sealed partial class PartitionReplica
{
    private readonly Lock _roleLock = new();
    // Held by a leader append across its role check and the append, and by every role change around the whole change
    // (Kafka's leaderIsrUpdateLock): a demotion sets the new epoch before the role, so an append in between would stamp
    // the next leader's epoch on a batch that leader never wrote. Taken before _roleLock, never after.
    private readonly Lock _appendLock = new();
    private long _highWatermark;
    private volatile ReplicaRole _role;
    // A leader without followers (a single node): the high watermark is the log end, read from the log itself, so a
    // reader woken by an append sees it committed at once and the append path writes nothing more.
    private volatile bool _sole;
    private int? _leaderId;

    /// <summary>Wraps <paramref name="log"/>, with the high watermark it checkpointed (clamped to the log). Without one
    /// (a new log, a checkpoint a power loss took) a replica of a cluster starts at the log start, as Kafka's does: its
    /// tail may never have been committed, and the leader's fetches or the ISR move it on. A sole leader's is its log end.</summary>
    public PartitionReplica(PartitionLog log, ReplicaRole role = ReplicaRole.Leader)
    {
        Log = log;
        _role = role;
        _sole = role == ReplicaRole.Leader;
        long highWatermark = log.LoadedHighWatermark ?? (_sole ? log.LogEndOffset : log.LogStartOffset);
        _highWatermark = Math.Clamp(highWatermark, log.LogStartOffset, log.LogEndOffset);
        if (!_sole)
            log.OnHighWatermark(_highWatermark);
    }

    /// <summary>The local log; only this class and storage maintenance (retention, the cleaner) use it directly.</summary>
    public PartitionLog Log { get; }

    /// <summary>The partition.</summary>
    public TopicPartition Id => Log.Id;

    /// <summary>This node's role for the partition.</summary>
    public ReplicaRole Role => _role;

    /// <summary>The current leader epoch (stamped by leader appends).</summary>
    public int LeaderEpoch => Log.LeaderEpoch;

    /// <summary>The leader's node id when this node follows it and knows it.</summary>
    public int? LeaderId
    {
        get
        {
            lock (_roleLock)
                return _leaderId;
        }
    }

    /// <summary>The offset below which every record is committed: consumers read no further. It never goes back.</summary>
    public long HighWatermark => _sole ? Log.LogEndOffset : Volatile.Read(ref _highWatermark);

    /// <summary>True while this replica leads alone: its high watermark is its log end.</summary>
    public bool IsSole => _sole;

    /// <summary>The next offset of the local log.</summary>
    public long LogEndOffset => Log.LogEndOffset;

    /// <summary>Leads from <paramref name="leaderEpoch"/> on (it never goes back); with <paramref name="sole"/> false the
    /// high watermark stops following the log end and moves only by <see cref="AdvanceHighWatermark"/> (the ISR's).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An epoch below the current one.</exception>
    public void BecomeLeader(int leaderEpoch, bool sole = true)
    {
        lock (_appendLock)
        lock (_roleLock)
        {
            Log.LeaderEpoch = leaderEpoch;
            _leaderId = null;
            ClearLeaderStateLocked();
            RenewLeadershipLocked();
            SetSole(sole);
            _role = ReplicaRole.Leader;
        }
        OnReplicationStateChanged();
    }

    /// <summary>Follows <paramref name="leaderId"/> (when known) in <paramref name="leaderEpoch"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An epoch below the current one.</exception>
    public void BecomeFollower(int leaderEpoch, int? leaderId)
    {
        lock (_appendLock)
        lock (_roleLock)
        {
            Log.LeaderEpoch = leaderEpoch;
            _leaderId = leaderId;
            ClearLeaderStateLocked();
            RenewLeadershipLocked();
            SetSole(false);
            _role = ReplicaRole.Follower;
        }
        // A write waiting for this leader's high watermark fails with NotLeader; a reader looks again.
        OnReplicationStateChanged();
    }

    /// <summary>
    /// A producer's append on the leader (see <see cref="PartitionLog.Append(ReadOnlySpan{RecordBatch}, ReadOnlySpan{long}, Span{AppendResult}, out LogStoreException?)"/>):
    /// the log assigns offsets and stamps the leader epoch. Alone, the leader's high watermark then moves to the log end.
    /// </summary>
    /// <exception cref="NotLeaderException">This node does not lead the partition.</exception>
    public int AppendAsLeader(ReadOnlySpan<RecordBatch> batches, ReadOnlySpan<long> builtMinTimestamps, Span<AppendResult> results,
        out LogStoreException? error) =>
        AppendAsLeader(batches, builtMinTimestamps, results, validateAllFirst: false, out error);

    /// <summary>An application's batches appended on the leader in one call, every one validated before any is written
    /// (<see cref="Partition.AppendAsync(ReadOnlyMemory{RecordBatch}, CancellationToken)"/>).</summary>
    /// <exception cref="NotLeaderException">This node does not lead the partition.</exception>
    public int AppendAllAsLeader(ReadOnlySpan<RecordBatch> batches, Span<AppendResult> results, out LogStoreException? error) =>
        AppendAsLeader(batches, builtMinTimestamps: default, results, validateAllFirst: true, out error);

    private int AppendAsLeader(ReadOnlySpan<RecordBatch> batches, ReadOnlySpan<long> builtMinTimestamps, Span<AppendResult> results,
        bool validateAllFirst, out LogStoreException? error)
    {
        int appended;
        lock (_appendLock)
        {
            if (_role != ReplicaRole.Leader)
                throw NotLeader();
            appended = Log.Append(batches, builtMinTimestamps, results, validateAllFirst, out error);
        }
        // Alone, a record is committed once in the log (HighWatermark reads the log end); with followers the ISR moves it,
        // and an ISR of the leader alone moves it here.
        if (!_sole)
            MaybeIncrementHighWatermark();
        return appended;
    }

    /// <summary><see cref="AppendAsLeader(ReadOnlySpan{RecordBatch}, ReadOnlySpan{long}, Span{AppendResult}, out LogStoreException?)"/> of one batch; throws its failure.</summary>
    public AppendResult AppendAsLeader(RecordBatch batch)
    {
        AppendResult result = default;
        AppendAsLeader(new ReadOnlySpan<RecordBatch>(in batch), default, new Span<AppendResult>(ref result), out LogStoreException? error);
        if (error is not null)
            ExceptionDispatchInfo.Throw(error);
        return result;
    }

    /// <summary>
    /// Appends the leader's batches verbatim (offsets, epochs, timestamps) at the log end, then takes the leader's high
    /// watermark, as far as this log reaches.
    /// </summary>
    /// <exception cref="NotLeaderException">This node leads the partition (a leader never appends as a follower).</exception>
    /// <exception cref="UnexpectedAppendOffsetException">A batch leaves a gap or overlaps the log; nothing from it on is appended.</exception>
    public int AppendAsFollower(ReadOnlySpan<RecordBatch> batches, long leaderHighWatermark, Span<AppendResult> results, out LogStoreException? error)
    {
        if (_role != ReplicaRole.Follower)
            throw new InvalidOperationException($"{Id}: only a follower appends the leader's batches; this replica is {_role}.");
        int appended = Log.AppendAsFollower(batches, results, out error);
        AdvanceHighWatermark(Math.Min(leaderHighWatermark, Log.LogEndOffset));
        return appended;
    }

    /// <summary>Reads for a consumer: whole batches from <paramref name="offset"/>, none at or past the high watermark.</summary>
    public FetchResult ReadCommitted(long offset, int maxBytes) => Log.Read(offset, maxBytes, HighWatermark);

    /// <summary>
    /// <see cref="ReadCommitted"/> that, when nothing is committed at <paramref name="offset"/> yet, waits up to
    /// <paramref name="maxWait"/> (the long poll of Kafka's fetch): alone, for an append at the log end; with followers,
    /// for the high watermark to pass the offset (Kafka's delayed fetch, woken by whatever moves it).
    /// </summary>
    public ValueTask<FetchResult> ReadCommittedAsync(long offset, int maxBytes, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (_sole)
            return Log.ReadAsync(offset, maxBytes, maxWait, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        FetchResult result = ReadCommitted(offset, maxBytes);
        if (!result.IsEmpty || maxWait <= TimeSpan.Zero)
            return ValueTask.FromResult(result);
        result.Dispose();
        return WaitAndReadCommittedAsync(offset, maxBytes, maxWait, cancellationToken);
    }

    /// <summary>The batches <see cref="ReadCommitted"/> would return, as a range of a segment file for a consumer's fetch
    /// (sent by <c>sendfile</c>); null at or past the high watermark.</summary>
    public FileRegion? ReadCommittedRegion(long offset, int maxBytes) => Log.ReadRegion(offset, maxBytes, HighWatermark);

    /// <summary>Reads for a follower's fetch: up to the log end (the follower's log end tells the leader what it holds).</summary>
    public FetchResult ReadForFollower(long offset, int maxBytes) => Log.Read(offset, maxBytes);

    /// <summary><see cref="ReadForFollower"/> as a range of a segment file (sent by <c>sendfile</c> on a plaintext
    /// connection); null at the log end.</summary>
    public FileRegion? ReadForFollowerRegion(long offset, int maxBytes) => Log.ReadRegion(offset, maxBytes);

    /// <summary>Kafka's DeleteRecords through the replica: the log start moves up to <paramref name="beforeOffset"/>, never
    /// past the high watermark (see <see cref="PartitionLog.DeleteRecordsBefore"/>).</summary>
    /// <exception cref="OffsetOutOfRangeException"><paramref name="beforeOffset"/> is above the high watermark.</exception>
    public long DeleteRecordsBefore(long beforeOffset) => Log.DeleteRecordsBefore(beforeOffset);

    /// <summary>
    /// Cuts a follower's diverged tail (Kafka's truncation after OffsetForLeaderEpoch, KIP-101/279): the local log is cut
    /// at <paramref name="offset"/>, or at the start of the batch holding it (batches are whole), and the next fetch from
    /// the leader appends from there (see <see cref="PartitionLog.TruncateTo"/>; below the log start the log restarts empty
    /// at <paramref name="offset"/>). Committed records stay: a cut below the high watermark is refused unless
    /// <paramref name="allowBelowHighWatermark"/> (an unclean leader election), which lowers the high watermark to the cut.
    /// Durable on return; logged with what was cut.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
    /// <exception cref="InvalidOperationException">This replica is not a follower (a leader's log is the reference).</exception>
    /// <exception cref="OffsetOutOfRangeException">The offset is below the high watermark and the cut was not allowed.</exception>
    /// <exception cref="ObjectDisposedException">The log is closed.</exception>
    /// <exception cref="StorageException">A file could not be changed; the log stays readable (see <see cref="PartitionLog"/>).</exception>
    public void TruncateTo(long offset, bool allowBelowHighWatermark = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_roleLock)
        {
            if (_role != ReplicaRole.Follower)
                throw new InvalidOperationException($"{Id}: only a follower truncates its log to the leader's; this replica is {_role}.");
            long highWatermark = Volatile.Read(ref _highWatermark);
            if (offset < highWatermark && !allowBelowHighWatermark)
            {
                throw new OffsetOutOfRangeException(Id, offset, $"Cannot truncate {Id} to offset {offset}: it is below the high watermark " +
                    $"{highWatermark}, and the records below it are committed. Only an unclean leader election may cut them.");
            }
            LogTruncation cut = Log.TruncateTo(offset);
            if (cut.To < highWatermark)
            {
                // Unclean: what was committed past the cut is gone, so the high watermark comes down with it.
                Volatile.Write(ref _highWatermark, cut.To);
                Log.OnHighWatermark(cut.To);
            }
            // A log restarted past the high watermark (below the leader's log start) holds nothing under it to wait for.
            AdvanceHighWatermark(Log.LogStartOffset);
            if (cut.To != cut.From)
                StorageLog.LogTruncated(Log.Logger, Id, cut.From, cut.To, cut.Bytes);
        }
    }

    /// <summary>Moves the high watermark forward to <paramref name="offset"/>; a lower value changes nothing.</summary>
    public void AdvanceHighWatermark(long offset)
    {
        // A sole leader's is its log end, read as it is; what is stored here only matters once followers exist.
        long current = Volatile.Read(ref _highWatermark);
        while (offset > current)
        {
            long seen = Interlocked.CompareExchange(ref _highWatermark, offset, current);
            if (seen == current)
            {
                if (!_sole)
                    Log.OnHighWatermark(offset);
                CompleteWaiters();
                return;
            }
            current = seen;
        }
    }

    /// <summary>Under the role lock. Leaving sole leadership freezes the high watermark at the log end, so it never goes
    /// back; the log's checkpoint takes the replica's from then on.</summary>
    private void SetSole(bool sole)
    {
        if (_sole == sole)
            return;
        if (!sole)
        {
            AdvanceHighWatermark(Log.LogEndOffset);
            Log.OnHighWatermark(Volatile.Read(ref _highWatermark));
        }
        else
        {
            Log.OnHighWatermark(-1);
        }
        _sole = sole;
    }

    private NotLeaderException NotLeader()
    {
        lock (_roleLock)
            return new NotLeaderException(Id, _leaderId);
    }

    public override string ToString() => $"PartitionReplica({Id}, {_role}, epoch {LeaderEpoch}, hw {HighWatermark})";
}
