using LogStore.Diagnostics;
using LogStore.Storage.Files;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>fsyncs every segment holding offsets below <paramref name="upToOffset"/> that is not yet known flushed,
    /// then advances the recovery point. Concurrent callers are serialised; a caller whose offsets a concurrent flush
    /// already covered returns at once.</summary>
    public void Flush(long upToOffset, bool forceCheckpoint)
    {
        lock (_flushLock)
        {
            long from = _recoveryPoint;
            if (upToOffset > from)
            {
                LogSegment[] segments = _segments.Snapshot;
                int first = Math.Max(0, LogSegments.FloorIndex(segments, from));
                long started = _time.GetTimestamp();
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
                if (_newSegmentSinceFlush)
                {
                    // A new segment's name must be durable too, or its fsynced bytes can vanish with the name.
                    _newSegmentSinceFlush = false;
                    DurableFile.FsyncDirectory(Directory);
                }
                Volatile.Write(ref _recoveryPoint, upToOffset);
                LogStoreMetrics.RecordFsync(Id, _time.GetElapsedTime(started));
            }
            _lastFlushTimestamp = _time.GetTimestamp();
            MaybeWriteCheckpoint(forceCheckpoint);
        }
    }

    /// <summary>Flushes everything appended so far.</summary>
    public void Flush() => Flush(LogEndOffset, forceCheckpoint: false);

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
    /// scans more than the segments since), when the log start moved, and at close — not on every flush, which
    /// would double the fsyncs of a durable producer.</summary>
    private void MaybeWriteCheckpoint(bool force)
    {
        long recoveryPoint = _recoveryPoint;
        long logStartOffset = LogStartOffset;
        if (!force && recoveryPoint == _checkpointedRecoveryPoint && logStartOffset == _checkpointedLogStartOffset)
            return;
        if (!force && logStartOffset == _checkpointedLogStartOffset && _checkpointedRecoveryPoint >= 0)
        {
            LogSegment[] segments = _segments.Snapshot;
            if (LogSegments.FloorIndex(segments, recoveryPoint) == LogSegments.FloorIndex(segments, _checkpointedRecoveryPoint))
                return;
        }
        PartitionCheckpoint.Write(Directory, recoveryPoint, logStartOffset);
        _checkpointedRecoveryPoint = recoveryPoint;
        _checkpointedLogStartOffset = logStartOffset;
    }
}
