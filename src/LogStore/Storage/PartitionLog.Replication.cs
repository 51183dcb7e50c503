using System.Runtime.ExceptionServices;

namespace LogStore.Storage;

/// <summary>
/// What a follower's replica needs of the log (Kafka's <c>appendAsFollower</c>): batches appended verbatim, at the
/// leader's offsets and epochs, only where the log ends. Reached through <see cref="Replication.PartitionReplica"/>.
/// </summary>
internal sealed partial class PartitionLog
{
    // -1 until a replica owns the high watermark: then the checkpoint holds the log end, as it always has.
    private long _highWatermark = -1;

    /// <summary>The high watermark written to <c>replication-offset-checkpoint</c>: the replica's once it has one.</summary>
    private long CheckpointedHighWatermark
    {
        get
        {
            long highWatermark = Volatile.Read(ref _highWatermark);
            return highWatermark < 0 ? LogEndOffset : Math.Min(highWatermark, LogEndOffset);
        }
    }

    /// <summary>The high watermark checkpointed at the last open, or null (a log without one).</summary>
    public long? LoadedHighWatermark => _checkpoints?.GetHighWatermark(Id);

    /// <summary>Set by the replica when its high watermark moves, for the next checkpoint.</summary>
    internal void OnHighWatermark(long highWatermark) => Volatile.Write(ref _highWatermark, highWatermark);

    /// <summary>
    /// Appends a leader's batches as they are: offsets, leader epochs and timestamps are kept, the epoch cache learns
    /// each new epoch from the batches, and the producer state records them without checking sequences (the leader did).
    /// The first batch must start at the log end and each next one where the previous one ended.
    /// </summary>
    /// <returns>How many batches were appended before <paramref name="error"/>, the failure of the next one.</returns>
    public int AppendAsFollower(ReadOnlySpan<RecordBatch> batches, Span<AppendResult> results, out LogStoreException? error) =>
        Append(batches, builtMinTimestamps: default, results, asFollower: true, validateAllFirst: false, out error);

    /// <summary><see cref="AppendAsFollower(ReadOnlySpan{RecordBatch}, Span{AppendResult}, out LogStoreException?)"/> of one batch; throws its failure.</summary>
    public AppendResult AppendAsFollower(RecordBatch batch)
    {
        AppendResult result = default;
        AppendAsFollower(new ReadOnlySpan<RecordBatch>(in batch), new Span<AppendResult>(ref result), out LogStoreException? error);
        if (error is not null)
            ExceptionDispatchInfo.Throw(error);
        return result;
    }

    /// <summary>Why a leader's batch cannot be appended at <paramref name="logEnd"/>: damaged bytes, or a gap or an
    /// overlap with the log (Kafka's UnexpectedAppendOffsetException), or null.</summary>
    private LogStoreException? InvalidReplicated(RecordBatch batch, long logEnd)
    {
        if (batch.Memory.Length < RecordBatch.HeaderSize)
            return new CorruptRecordException($"A batch of {batch.Memory.Length} bytes is shorter than the {RecordBatch.HeaderSize}-byte header.");
        if (batch.Magic != RecordBatch.CurrentMagic || RecordBatch.LogOverhead + batch.BatchLength != batch.SizeInBytes
            || batch.LastOffsetDelta < 0 || !batch.IsValid)
            return new CorruptRecordException($"A batch from the leader at offset {batch.BaseOffset} is damaged (magic, length or CRC).");
        if (batch.BaseOffset != logEnd)
            return new UnexpectedAppendOffsetException(Id, batch.BaseOffset, logEnd);
        return null;
    }

    /// <summary>Records where a replicated batch's epoch began, when it is newer than the last one known. Under the write
    /// lock; a batch of an older epoch (a leader's tail the cache already covers) changes nothing.</summary>
    private void FollowLeaderEpoch(int epoch, long baseOffset)
    {
        if (epoch >= 0 && epoch > _leaderEpochCache.LatestEpoch)
            AssignLeaderEpoch(epoch, baseOffset);
    }
}
