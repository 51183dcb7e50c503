using LogStore.Diagnostics;
using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// Flushing: fsync of the segments past the recovery point, then the checkpoint.
/// </summary>
/// <remarks>
/// <para>A failed fsync is final for this partition until the Broker is reopened (as PostgreSQL and Kafka treat it):
/// after a failed write-back, Linux may mark the dirty pages clean or drop them, so a later fsync that succeeds proves
/// nothing about them. Every later flush fails with a <see cref="StorageException"/>, the recovery point never moves past
/// the failure, and the next open validates everything after it.</para>
/// <para>A failed checkpoint write (a full disk) fails no flush: the records are durable, and the checkpoint only
/// shortens a restart. It is retried at the next flush; a restart meanwhile recovers from the previous checkpoint,
/// which is slower but never wrong.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    private Exception? _fsyncFailure;

    /// <summary>fsyncs every segment holding offsets below <paramref name="upToOffset"/> that is not yet known flushed,
    /// then advances the recovery point. Concurrent callers are serialised; a caller whose offsets a concurrent flush
    /// already covered returns at once.</summary>
    /// <exception cref="StorageException">An fsync failed, now or earlier.</exception>
    public void Flush(long upToOffset)
    {
        ThrowIfReadOnly();
        lock (_flushLock)
        {
            // A roll's background flush may run after a truncation cut the log below the offset it was given.
            upToOffset = Math.Min(upToOffset, LogEndOffset);
            long from = _recoveryPoint;
            if (upToOffset > from)
            {
                ThrowIfFsyncFailed();
                long started = _time.GetTimestamp();
                try
                {
                    FlushSegments(from, upToOffset);
                }
                catch (StorageException e)
                {
                    _fsyncFailure = e;
                    StorageLog.FsyncFailed(_logger, Id, e);
                    throw;
                }
                Volatile.Write(ref _recoveryPoint, upToOffset);
                LogStoreMetrics.RecordFsync(Id, _time.GetElapsedTime(started));
            }
            _lastFlushTimestamp = _time.GetTimestamp();
            _ = MaybeWriteCheckpoint(force: false);
        }
    }

    /// <summary>Flushes everything appended so far.</summary>
    public void Flush() => Flush(LogEndOffset);

    /// <summary>
    /// An explicit flush (<see cref="Partition.FlushAsync"/>, <see cref="Broker.FlushAsync"/>): the group-commit fsync,
    /// then the checkpoint when it lags the recovery point. Recovery after an unclean stop cuts invalid bytes only past
    /// the checkpointed recovery point, so after this returns no byte it flushed can be cut, whatever damage is found.
    /// The flushes of a flush policy or of durable appends leave the checkpoint lazy (see <see cref="MaybeWriteCheckpoint"/>).
    /// </summary>
    /// <exception cref="StorageException">The fsync failed. A failed checkpoint write fails nothing: it is logged and
    /// retried at the next flush.</exception>
    public ValueTask FlushAndCheckpointAsync(long upToOffset, CancellationToken cancellationToken)
    {
        ValueTask flush = FlushAsync(upToOffset, cancellationToken);
        if (!flush.IsCompletedSuccessfully)
            return CheckpointAfterAsync(flush);
        flush.GetAwaiter().GetResult();
        CheckpointIfStale();
        return ValueTask.CompletedTask;
    }

    private async ValueTask CheckpointAfterAsync(ValueTask flush)
    {
        await flush.ConfigureAwait(false);
        CheckpointIfStale();
    }

    /// <summary>Writes the checkpoint when it lags the recovery point or the log start (an explicit flush), and makes
    /// sure what this log staged before is written (a write that failed, or one another partition's close deferred).</summary>
    public void CheckpointIfStale()
    {
        lock (_flushLock)
        {
            if (_closed)
                return;
            if (!CheckpointIsCurrent)
                _ = MaybeWriteCheckpoint(force: true);
            else if (_checkpoints is not null)
                _ = WriteCheckpoints(_stagedVersion);
        }
    }

    /// <summary>For the broker's periodic checkpoint: stages this log's values when they changed, without writing; the
    /// broker then writes the files once for every partition.</summary>
    public void StageCheckpointIfStale()
    {
        lock (_flushLock)
        {
            if (_closed || CheckpointIsCurrent || _checkpoints is null)
                return;
            try
            {
                // The epochs first, as for a written checkpoint: the file must cover what the recovery point does.
                _leaderEpochCache.WriteIfDirty();
            }
            catch (StorageException e)
            {
                StorageLog.LeaderEpochCheckpointWriteFailed(_logger, Id, e);
                return;
            }
            _stagedVersion = _checkpoints.Stage(Id, _recoveryPoint, LogStartOffset, CheckpointedHighWatermark);
            _checkpointedRecoveryPoint = _recoveryPoint;
            _checkpointedLogStartOffset = LogStartOffset;
        }
    }

    /// <summary>True when the checkpoint on disk holds the current recovery point and log start offset.</summary>
    private bool CheckpointIsCurrent => _checkpointedRecoveryPoint == _recoveryPoint && _checkpointedLogStartOffset == LogStartOffset;

    private void FlushSegments(long from, long upToOffset)
    {
        LogSegment[] segments = _segments.Snapshot;
        int first = Math.Max(0, LogSegments.FloorIndex(segments, from));
        for (int i = first; i < segments.Length && segments[i].BaseOffset < upToOffset; i++)
        {
            // A segment deleted meanwhile (retention, the cleaner's swap) has nothing left to make durable.
            if (!segments[i].TryAcquire())
                continue;
            try
            {
                segments[i].Flush();
            }
            finally
            {
                segments[i].Release();
            }
        }
        // A new segment's name must be durable too, or its fsynced bytes can vanish with the name. The flag is taken
        // before the fsync: a roll while it runs sets it again, and the next flush covers that segment.
        if (Interlocked.Exchange(ref _directoryFsyncPending, 0) != 0)
        {
            try
            {
                DurableFile.FsyncDirectory(_fileCache.Files, Directory);
            }
            catch (StorageException)
            {
                Volatile.Write(ref _directoryFsyncPending, 1);
                throw;
            }
        }
    }

    private void ThrowIfFsyncFailed()
    {
        if (_fsyncFailure is { } failure)
        {
            throw new StorageException($"An earlier fsync of {Id} failed ({failure.Message}), so records appended since the last " +
                "successful flush may not be on disk even if a later fsync succeeds: dispose and reopen the Broker, whose recovery " +
                "validates them.", Directory, failure);
        }
    }

    /// <summary>For the broker's flush scheduler: flushes when <see cref="TopicConfig.FlushInterval"/> has passed
    /// since the last flush and something is unflushed.</summary>
    public void FlushIfIntervalElapsed()
    {
        if (_closed || Config.FlushInterval is not TimeSpan interval || LogEndOffset <= RecoveryPoint)
            return;
        if (_time.GetElapsedTime(Volatile.Read(ref _lastFlushTimestamp)) >= interval)
            Flush();
    }

    /// <summary>The checkpoint is rewritten when the recovery point enters another segment (so a restart never
    /// scans more than the segments since), when the log start moved, after an explicit flush and at close
    /// (<paramref name="force"/>: whenever it changed) — not on every flush, which would double the fsyncs of a durable
    /// producer. So records that a flush policy or a durable append fsynced since the last checkpoint are safe from a
    /// crash or power loss, but damage to them found after an unclean stop cannot be told from a torn write: recovery
    /// cuts it (keeping the bytes beside the segment). An unchanged checkpoint is never rewritten, so idle partitions
    /// cost no fsync at close. A failure is logged, retried at the next flush and returned.</summary>
    private StorageException? MaybeWriteCheckpoint(bool force)
    {
        // The epochs first: the next open trusts the file for every batch below the checkpointed recovery point.
        try
        {
            _leaderEpochCache.WriteIfDirty();
        }
        catch (StorageException e)
        {
            StorageLog.LeaderEpochCheckpointWriteFailed(_logger, Id, e);
            return e;
        }
        long recoveryPoint = _recoveryPoint;
        long logStartOffset = LogStartOffset;
        if (logStartOffset == _checkpointedLogStartOffset)
        {
            LogSegment[] segments = _segments.Snapshot;
            if (recoveryPoint == _checkpointedRecoveryPoint
                || (!force && LogSegments.FloorIndex(segments, recoveryPoint) == LogSegments.FloorIndex(segments, _checkpointedRecoveryPoint)))
            {
                return null;
            }
        }
        if (_checkpoints is null)
            return null;
        // The high watermark is the log end on a single node; replication will stage its own.
        long version = _checkpoints.Stage(Id, recoveryPoint, logStartOffset, CheckpointedHighWatermark);
        _stagedVersion = version;
        // Closing with every partition: the broker writes the files once after the last close, not once per partition.
        if (!(_closed && _checkpoints.ClosingAll) && WriteCheckpoints(version) is { } failure)
            return failure;
        _checkpointedRecoveryPoint = recoveryPoint;
        _checkpointedLogStartOffset = logStartOffset;
        return null;
    }

    /// <summary>Writes the data directory's checkpoint files up to <paramref name="version"/> (a no-op when a write of
    /// another partition's already did). A failure is logged and returned.</summary>
    private StorageException? WriteCheckpoints(long version)
    {
        try
        {
            _checkpoints!.WriteThrough(version, highWatermarks: false);
            return null;
        }
        catch (StorageException e)
        {
            StorageLog.CheckpointWriteFailed(_logger, Id, _recoveryPoint, e);
            return e;
        }
    }
}
