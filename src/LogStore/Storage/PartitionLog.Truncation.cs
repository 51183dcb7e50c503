using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>What a truncation did: the log ended at <paramref name="From"/>, now ends at <paramref name="To"/>, and
/// <paramref name="Bytes"/> bytes of segments were cut or deleted.</summary>
internal readonly record struct LogTruncation(long From, long To, long Bytes);

/// <summary>
/// A follower's truncation (Kafka's UnifiedLog.truncateTo and truncateFullyAndStartAt): the tail that diverged from the
/// new leader's log is cut, so that the follower fetches it again from the leader.
/// </summary>
/// <remarks>
/// <para>Order: the cut point is found (a batch boundary); a <see cref="TruncationMarker"/> is made durable; then, with
/// readers held off by a sequence count (a read that overlaps a truncation is discarded and redone, so no reader gets
/// bytes past the cut), the log end, recovery point, high watermark, segment set, leader-epoch cache and producer state
/// change in memory; the segments past the cut are renamed <c>.deleted</c> (deleted when their readers let go, as
/// retention does), the segment holding the cut is cut and fsynced and becomes the active one; the epochs and the
/// checkpoint are written durably, the directory fsynced, and the marker deleted. A crash at any step leaves either the
/// old log or a marker that the next open applies again (<see cref="LogLoader"/>).</para>
/// <para>Thread-safety: under the cleanup, write and flush locks, so appends, flushes, retention and the cleaner's swap
/// never run beside it. A failure after the marker (an I/O error) leaves the log readable and cut in memory, and appends
/// are refused with <see cref="StorageException"/> until a later truncation call (any offset) completes it on disk.</para>
/// <para>A <see cref="Protocol.FileRegion"/> handed out before a truncation sends the file's bytes as they are when it is
/// sent; consumer regions stop at the high watermark, which only an unclean truncation cuts below.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    // Even while no truncation runs, odd during one: a read compares it before and after (a sequence lock).
    private long _truncations;
    // A truncation done in memory whose files could not all be changed: its marker, the segments it removed, and the
    // cut of the segment holding the cut point (null for a full truncation).
    private TruncationMarker? _unfinishedTruncation;
    private LogSegment[] _unfinishedDoomed = [];
    private (LogSegment Holder, int Position)? _unfinishedCut;

    /// <summary>The log's logger, for what its replica logs about it.</summary>
    internal ILogger Logger => _logger;

    /// <summary>
    /// Cuts the log at <paramref name="targetOffset"/>: the records from there on are removed and the next append (as
    /// follower) goes there. Batches are whole, so when the offset falls inside a batch the cut is at that batch's start
    /// (the log then ends below <paramref name="targetOffset"/>). An offset at or past the log end changes nothing; one
    /// below the log start empties the log to start there (<see cref="TruncateFullyAndStartAt"/>). Durable on return.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
    /// <exception cref="ObjectDisposedException">The log is closed.</exception>
    /// <exception cref="StorageException">A file could not be changed; see the remarks for the state left.</exception>
    public LogTruncation TruncateTo(long targetOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targetOffset);
        ThrowIfClosed();
        ThrowIfReadOnly();
        lock (_cleanupLock)
        {
            lock (_writeLock)
            {
                ThrowIfClosed();
                FinishUnfinishedTruncation();
                long end = _logEndOffset;
                if (targetOffset >= end)
                    return new LogTruncation(end, end, 0);
                if (targetOffset < _logStartOffset)
                    return TruncateFullyLocked(targetOffset);
                LogSegment[] segments = _segments.Snapshot;
                int holding = Math.Max(0, LogSegments.FloorIndex(segments, targetOffset));
                LogSegment holder = segments[holding];
                (int position, long cutOffset) = holder.FindTruncationPoint(targetOffset);
                // The batch holding the target began below the log start (DeleteRecords inside a batch): nothing below
                // the log start may come back, so the log restarts empty.
                if (cutOffset < _logStartOffset)
                    return TruncateFullyLocked(targetOffset);
                var marker = new TruncationMarker(Full: false, cutOffset);
                marker.Write(Files, Directory);
                LogSegment[] doomed = segments[(holding + 1)..];
                long bytes = holder.SizeInBytes - (long)position;
                foreach (LogSegment segment in doomed)
                    bytes += segment.SizeInBytes;
                lock (_flushLock)
                {
                    Interlocked.Increment(ref _truncations);
                    try
                    {
                        Volatile.Write(ref _logEndOffset, cutOffset);
                        Volatile.Write(ref _recoveryPoint, Math.Min(_recoveryPoint, cutOffset));
                        ClampHighWatermark(cutOffset);
                        if (doomed.Length > 0)
                            _segments.Replace(doomed, []);
                        _leaderEpochCache.TruncateFromEnd(cutOffset);
                        DropProducerState();
                        (_unfinishedTruncation, _unfinishedDoomed, _unfinishedCut) = (marker, doomed, (holder, position));
                        CompleteTruncationOnDisk();
                    }
                    finally
                    {
                        Interlocked.Increment(ref _truncations);
                    }
                }
                return new LogTruncation(end, cutOffset, bytes);
            }
        }
    }

    /// <summary>
    /// Kafka's truncateFullyAndStartAt: deletes every segment and restarts the log empty at <paramref name="newOffset"/>,
    /// which becomes its start and end (a follower whose whole log diverged, or lies below the leader's log start).
    /// The leader-epoch cache and the producer state and snapshots are cleared. Durable on return.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
    /// <exception cref="ObjectDisposedException">The log is closed.</exception>
    /// <exception cref="StorageException">A file could not be changed; see the class remarks for the state left.</exception>
    public LogTruncation TruncateFullyAndStartAt(long newOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newOffset);
        ThrowIfClosed();
        ThrowIfReadOnly();
        lock (_cleanupLock)
        {
            lock (_writeLock)
            {
                ThrowIfClosed();
                FinishUnfinishedTruncation();
                return TruncateFullyLocked(newOffset);
            }
        }
    }

    private LogTruncation TruncateFullyLocked(long newOffset)
    {
        var marker = new TruncationMarker(Full: true, newOffset);
        marker.Write(Files, Directory);
        long from = _logEndOffset;
        LogSegment[] doomed = _segments.Snapshot;
        long bytes = 0;
        foreach (LogSegment segment in doomed)
            bytes += segment.SizeInBytes;
        lock (_flushLock)
        {
            Interlocked.Increment(ref _truncations);
            try
            {
                Volatile.Write(ref _logEndOffset, newOffset);
                Volatile.Write(ref _logStartOffset, newOffset);
                Volatile.Write(ref _recoveryPoint, newOffset);
                // Kafka moves the high watermark to the new log end: nothing of the old log is committed here any more.
                if (Volatile.Read(ref _highWatermark) >= 0)
                    Volatile.Write(ref _highWatermark, newOffset);
                _segments.Replace(doomed, []);
                // Every entry starts at or after 0: all go (Kafka's clearAndFlush).
                _leaderEpochCache.TruncateFromEnd(0);
                DropProducerState();
                (_unfinishedTruncation, _unfinishedDoomed, _unfinishedCut) = (marker, doomed, null);
                CompleteTruncationOnDisk();
            }
            finally
            {
                Interlocked.Increment(ref _truncations);
            }
        }
        return new LogTruncation(from, newOffset, bytes);
    }

    /// <summary>Retries the disk half of a truncation that failed: under the write lock, before another one.</summary>
    private void FinishUnfinishedTruncation()
    {
        if (_unfinishedTruncation is null)
            return;
        lock (_flushLock)
        {
            Interlocked.Increment(ref _truncations);
            try
            {
                CompleteTruncationOnDisk();
            }
            finally
            {
                Interlocked.Increment(ref _truncations);
            }
        }
    }

    /// <summary>Under every lock, once the log is cut in memory: changes the files, makes it all durable, then deletes the
    /// marker. Safe to run again after a failure.</summary>
    private void CompleteTruncationOnDisk()
    {
        TruncationMarker marker = _unfinishedTruncation!.Value;
        for (int i = _unfinishedDoomed.Length - 1; i >= 0; i--)
        {
            LogSegment segment = _unfinishedDoomed[i];
            if (!segment.IsDeleted)
                segment.MarkDeleted();
            else if (File.Exists(LogFileNames.LogFile(Directory, segment.BaseOffset)))
                segment.DeleteFiles();   // an earlier attempt's rename failed
        }
        if (_unfinishedCut is (LogSegment holder, int position))
        {
            holder.TruncateTo(position, marker.Offset);
        }
        else if (_segments.Count == 0)
        {
            string logFile = LogFileNames.LogFile(Directory, marker.Offset);
            if (File.Exists(logFile) && new FileInfo(logFile).Length > 0)
                throw new StorageException($"Cannot restart {Id} at offset {marker.Offset}: a non-empty segment is still there.", logFile);
            _segments.Add(LogSegment.Open(Directory, marker.Offset, Config, _fileCache, create: true, active: true));
        }
        if (marker.Full)
            _snapshots?.DeleteAll();
        else
            _snapshots?.Retain(LogStartOffset, _logEndOffset);
        WriteTruncationCheckpoints();
        DurableFile.FsyncDirectory(Files, Directory);
        TruncationMarker.Delete(Files, Directory);
        (_unfinishedTruncation, _unfinishedDoomed, _unfinishedCut) = (null, [], null);
    }

    /// <summary>The epochs, then the recovery point, log start and high watermark, durably: after the marker is gone the
    /// next open must not find a recovery point past the cut (it would take the cut records for lost durable ones).</summary>
    private void WriteTruncationCheckpoints()
    {
        _leaderEpochCache.WriteIfDirty();
        if (_checkpoints is null)
            return;
        long version = _checkpoints.Stage(Id, _recoveryPoint, LogStartOffset, CheckpointedHighWatermark);
        _stagedVersion = version;
        _checkpoints.WriteThrough(version, highWatermarks: Volatile.Read(ref _highWatermark) >= 0);
        _checkpointedRecoveryPoint = _recoveryPoint;
        _checkpointedLogStartOffset = LogStartOffset;
    }

    /// <summary>At open, after the loader applied a marker left by a crash: the epochs and checkpoint are made durable
    /// for the cut log, then the marker is deleted.</summary>
    private void CompleteTruncationAtOpen()
    {
        WriteTruncationCheckpoints();
        DurableFile.FsyncDirectory(Files, Directory);
        TruncationMarker.Delete(Files, Directory);
    }

    private void ClampHighWatermark(long offset)
    {
        if (Volatile.Read(ref _highWatermark) > offset)
            Volatile.Write(ref _highWatermark, offset);
    }

    /// <summary>For appends: a truncation that is cut in memory but not yet on disk must finish first, or a crash would
    /// let the next open cut the appended records as part of it.</summary>
    private void ThrowIfTruncationUnfinished()
    {
        if (_unfinishedTruncation is { } marker)
        {
            throw new StorageException($"The truncation of {Id} at offset {marker.Offset} could not be completed on disk: appends " +
                "wait until a retried truncation (any offset) completes it, or the Broker is reopened.", Directory);
        }
    }

    /// <summary>The truncation count before a read; waits for a truncation in progress to end.</summary>
    private long TruncationsBeforeRead()
    {
        long seen = Volatile.Read(ref _truncations);
        if ((seen & 1) == 0)
            return seen;
        // A truncation runs under the write lock: taking it waits for the end.
        lock (_writeLock)
            return Volatile.Read(ref _truncations);
    }

    /// <summary>Whether a truncation began since <paramref name="seen"/>: what was read may hold bytes past its cut.</summary>
    private bool TruncatedSince(long seen) => Volatile.Read(ref _truncations) != seen;
}
