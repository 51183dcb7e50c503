using LogStore.Diagnostics;
using LogStore.Retention;

namespace LogStore.Storage;

/// <summary>
/// Retention (Kafka's UnifiedLog.deleteOldSegments and deleteRecords): whole segments are deleted, oldest first, when
/// they are older than <see cref="TopicConfig.RetentionTime"/>, while the partition is larger than
/// <see cref="TopicConfig.RetentionBytes"/>, or when they lie entirely below the log start offset.
/// </summary>
/// <remarks>
/// <para>Time and size retention apply to the <see cref="CleanupPolicy.Delete"/> policies only; a compacted topic
/// keeps its segments (the cleaner shrinks them). Deleting below the log start offset applies to every policy.</para>
/// <para>The log start offset moves (and is checkpointed) before the segments leave the snapshot, and the segments'
/// files go through <see cref="LogSegment.MarkDeleted"/>, so a reader either gets
/// <see cref="OffsetOutOfRangeException"/> or reads a segment that stays whole until it lets go.</para>
/// <para>Producer-state snapshots below the new log start are deleted with the segments.</para>
/// <para>Thread-safety: retention, <see cref="DeleteRecordsBefore"/> and the cleaner's swap are serialised by one
/// lock; appends wait only while the snapshot is replaced.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    private readonly Lock _cleanupLock = new();

    private enum RetentionReason
    {
        Time,
        Size,
        LogStartOffset,
    }

    /// <summary>Bytes of every segment, the active one included (Kafka's UnifiedLog.size).</summary>
    public long SizeInBytes
    {
        get
        {
            long size = 0;
            foreach (LogSegment segment in _segments.Snapshot)
                size += segment.SizeInBytes;
            return size;
        }
    }

    /// <summary>The lock that retention, DeleteRecords and the cleaner's swap hold while they change the segment set.</summary>
    internal Lock CleanupLock => _cleanupLock;

    /// <summary>
    /// Deletes the segments that retention no longer keeps; returns how many. When every segment, the active one
    /// included, is due (an idle partition whose last records expired), the active segment is rolled first, as Kafka
    /// does, so that it is deleted as an inactive segment and the log keeps an empty active one at its end.
    /// </summary>
    public int DeleteOldSegments()
    {
        if (_closed)
            return 0;
        lock (_cleanupLock)
        {
            int deleted = 0;
            if ((Config.CleanupPolicy & CleanupPolicy.Delete) != 0)
            {
                if (Config.RetentionTime is not null)
                    deleted += DeleteSegmentsWhile(RetentionReason.Time);
                if (Config.RetentionBytes is not null)
                    deleted += DeleteSegmentsWhile(RetentionReason.Size);
            }
            deleted += DeleteSegmentsWhile(RetentionReason.LogStartOffset);
            return deleted;
        }
    }

    /// <summary>
    /// Kafka's DeleteRecords: moves the log start offset up to <paramref name="beforeOffset"/> (records below it can no
    /// longer be read), persists it, and deletes the segments entirely below it. Returns the new log start offset; an
    /// offset at or below the current one changes nothing.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException"><paramref name="beforeOffset"/> is above the high watermark.</exception>
    public long DeleteRecordsBefore(long beforeOffset)
    {
        ThrowIfClosed();
        ThrowIfReadOnly();
        lock (_cleanupLock)
        {
            lock (_writeLock)
            {
                ThrowIfClosed();
                // The replica's high watermark (the log end on a single node): records not yet committed stay.
                long highWatermark = CheckpointedHighWatermark;
                if (beforeOffset > highWatermark)
                    throw new OffsetOutOfRangeException(Id, beforeOffset, _logStartOffset, highWatermark);
                if (beforeOffset <= _logStartOffset)
                    return _logStartOffset;
                Volatile.Write(ref _logStartOffset, beforeOffset);
                _leaderEpochCache.TruncateFromStart(beforeOffset);
            }
            WriteLogStartCheckpoint(required: true);
            LogStoreLog.LogStartOffsetIncremented(_logger, Id, beforeOffset);
            DeleteSegmentsWhile(RetentionReason.LogStartOffset);
            _snapshots?.Retain(LogStartOffset, long.MaxValue);
            return LogStartOffset;
        }
    }

    private int DeleteSegmentsWhile(RetentionReason reason)
    {
        LogSegment[] segments = _segments.Snapshot;
        long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long excess = reason == RetentionReason.Size ? SizeInBytes - Config.RetentionBytes!.Value : 0;
        if (reason == RetentionReason.Size && excess <= 0)
            return 0;
        long logStart = LogStartOffset;
        int count = 0;
        for (; count < segments.Length; count++)
        {
            LogSegment segment = segments[count];
            LogSegment? next = count + 1 < segments.Length ? segments[count + 1] : null;
            if (next is null && segment.SizeInBytes == 0)
                break;
            bool due;
            switch (reason)
            {
                case RetentionReason.Time:
                    due = nowMs - segment.LargestTimestamp > (long)Config.RetentionTime!.Value.TotalMilliseconds;
                    break;
                case RetentionReason.Size:
                    due = excess - segment.SizeInBytes >= 0;
                    if (due)
                        excess -= segment.SizeInBytes;
                    break;
                default:
                    due = next is not null && next.BaseOffset <= logStart;
                    break;
            }
            if (!due)
                break;
        }
        return count == 0 ? 0 : DeleteSegments(segments[..count], reason);
    }

    /// <summary>Removes a prefix of the segments from the snapshot, moves the log start offset to the first one left,
    /// checkpoints it, then deletes the removed segments' files.</summary>
    private int DeleteSegments(LogSegment[] doomed, RetentionReason reason)
    {
        lock (_writeLock)
        {
            if (_closed)
                return 0;
            LogSegment[] current = _segments.Snapshot;
            if (doomed.Length == current.Length)
            {
                // A log always keeps a segment: roll, so the expired active segment becomes an inactive one to delete.
                Roll(_logEndOffset);
            }
            List<LogSegment> removed = [.. doomed];
            _segments.Replace(removed, []);
            long firstLeft = _segments.Snapshot[0].BaseOffset;
            if (firstLeft > _logStartOffset)
            {
                Volatile.Write(ref _logStartOffset, firstLeft);
                _leaderEpochCache.TruncateFromStart(firstLeft);
            }
        }
        // Deleting frees space: a full disk that cannot take the checkpoint must not stop it. The next open clamps the log
        // start to the first segment left, so the deleted records cannot come back.
        WriteLogStartCheckpoint(required: false);
        // The producer state stays in memory; its snapshots below the new log start go with the segments (Kafka's
        // deleteProducerSnapshots), the newest at or above it stay.
        _snapshots?.Retain(LogStartOffset, long.MaxValue);
        long bytes = 0;
        foreach (LogSegment segment in doomed)
        {
            bytes += segment.SizeInBytes;
            segment.MarkDeleted();
        }
        RetentionLog.SegmentsDeleted(_logger, Id, doomed.Length, bytes, ReasonName(reason), LogStartOffset);
        LogStoreMetrics.RecordSegmentsDeleted(Id, ReasonName(reason), doomed.Length, bytes);
        return doomed.Length;
    }

    /// <summary>Persists a moved log start offset at once: after a crash, records below it must stay unreadable.</summary>
    /// <exception cref="StorageException">The checkpoint could not be written and <paramref name="required"/> is set.</exception>
    private void WriteLogStartCheckpoint(bool required)
    {
        lock (_flushLock)
        {
            if (!_closed && MaybeWriteCheckpoint(force: false) is { } failure && required)
            {
                throw new StorageException($"The new log start offset {LogStartOffset} of {Id} holds now but could not be persisted, so " +
                    $"it may not survive a crash: {failure.Message}", Directory, failure);
            }
        }
    }

    private static string ReasonName(RetentionReason reason) => reason switch
    {
        RetentionReason.Time => "retention.time",
        RetentionReason.Size => "retention.size",
        _ => "log_start_offset",
    };
}
