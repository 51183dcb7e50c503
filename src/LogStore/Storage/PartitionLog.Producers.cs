using LogStore.Storage.Producers;

namespace LogStore.Storage;

/// <summary>
/// The idempotent producers' state of a partition (<see cref="ProducerStateManager"/>) and its snapshots beside the
/// segments (<see cref="ProducerSnapshots"/>), as Kafka's UnifiedLog keeps them: loaded when first needed from the newest
/// snapshot at or below the log end plus the batches after it, snapshotted when a segment rolls (named by the new
/// segment's base offset, fsynced by the roll's background flush) and at a clean close (named by the log end).
/// </summary>
/// <remarks>
/// <para>Loading is lazy, so opening thousands of partitions reads no snapshot: the first batch with a producer id, the
/// first roll or the close loads it, under the write lock. Until then every batch appended since the open had no producer
/// id, so a load replays the log only up to the log end at the open.</para>
/// <para>A read-only log (<see cref="Broker.OpenReadOnlyAsync"/>) never loads, writes or deletes a snapshot.</para>
/// </remarks>
internal sealed partial class PartitionLog
{
    // Without a usable snapshot (a store written before snapshots existed, or every one unusable), the state is rebuilt
    // from the last two segments, as Kafka does for a log without snapshots: a retry lands right after its first attempt.
    private const int ProducerStateSegments = 2;

    private readonly ProducerStateManager _producerState = new();
    private ProducerSnapshots? _snapshots;
    // How far a load replays: the log end at the open (what was appended since had no producer id, or the state would be
    // loaded), or everything once a failed write made the state drop what it had recorded.
    private long _producerReplayEnd = long.MaxValue;

    /// <summary>The partition's producer-state snapshots; null for a read-only or offline log.</summary>
    internal ProducerSnapshots? ProducerSnapshots => _snapshots;

    /// <summary>Loads the producer state when one of <paramref name="batches"/> has a producer id and it is not loaded
    /// yet. Called before an append stages anything, so that a failing load fails the append as a whole.</summary>
    /// <exception cref="StorageException">The segments to replay could not be read.</exception>
    private void LoadProducerStateFor(ReadOnlySpan<RecordBatch> batches)
    {
        if (_producerState.IsLoaded)
            return;
        foreach (RecordBatch batch in batches)
        {
            if (batch.Memory.Length >= RecordBatch.HeaderSize && batch.ProducerId >= 0)
            {
                LoadProducerState();
                return;
            }
        }
    }

    /// <summary>Restores the newest usable snapshot at or below the log end and replays the batches after it.</summary>
    /// <exception cref="StorageException">The segments to replay could not be read; the state stays unloaded.</exception>
    private void LoadProducerState()
    {
        _producerState.Invalidate();
        long end = Math.Min(_logEndOffset, _producerReplayEnd);
        long snapshotOffset = _snapshots?.LoadNewest(end, _producerState) ?? -1;
        LogSegment[] segments = _segments.Snapshot;
        long from = snapshotOffset >= 0 ? snapshotOffset : segments[Math.Max(0, segments.Length - ProducerStateSegments)].BaseOffset;
        try
        {
            ReplayProducerBatches(segments, from, end);
        }
        catch
        {
            _producerState.Invalidate();
            throw;
        }
        _producerState.MarkLoaded();
        ProducerStateLog.Loaded(_logger, Id, _producerState.Count, snapshotOffset, from, end);
    }

    /// <summary>Feeds the producer batches in [<paramref name="from"/>, <paramref name="end"/>) to the state, in log order.</summary>
    private void ReplayProducerBatches(LogSegment[] segments, long from, long end) =>
        ScanProducerBatches(segments, from, end, batch =>
        {
            _producerState.Replay(batch);
            return true;
        });

    /// <summary>
    /// Finds the batch that <paramref name="retry"/> repeats, appended before <paramref name="before"/> (the oldest batch
    /// of its producer the state keeps, <paramref name="sequenceGap"/> sequences after it): a retry sent to a new leader
    /// by a producer that had more batches in flight than the state keeps. The producer's records lie at least the gap
    /// before; other producers' batches may sit between, so the scan starts a bounded multiple of it further back.
    /// Under the write lock.
    /// </summary>
    private bool FindAppendedBatch(RecordBatch retry, long before, int sequenceGap, out long baseOffset, out long lastOffset)
    {
        const long SearchFactor = 16, SearchSlack = 1 << 16;
        long from = Math.Max(_logStartOffset, before - (sequenceGap * SearchFactor + SearchSlack));
        (long producerId, short epoch, int sequence, int delta) = (retry.ProducerId, retry.ProducerEpoch, retry.BaseSequence, retry.LastOffsetDelta);
        long foundBase = -1, foundLast = -1;
        ScanProducerBatches(_segments.Snapshot, from, before, batch =>
        {
            if (batch.ProducerId != producerId || batch.ProducerEpoch != epoch || batch.BaseSequence != sequence || batch.LastOffsetDelta != delta)
                return true;
            (foundBase, foundLast) = (batch.BaseOffset, batch.LastOffset);
            return false;
        });
        (baseOffset, lastOffset) = (foundBase, foundLast);
        return foundBase >= 0;
    }

    /// <summary>Visits the producer batches in [<paramref name="from"/>, <paramref name="end"/>) in log order until
    /// <paramref name="visit"/> returns false. Damage ends a segment's scan where it starts (what lies past it was never
    /// acknowledged, or is reported by reads).</summary>
    private static void ScanProducerBatches(LogSegment[] segments, long from, long end, Func<RecordBatch, bool> visit)
    {
        if (from >= end)
            return;
        for (int i = Math.Max(0, LogSegments.FloorIndex(segments, from)); i < segments.Length && segments[i].BaseOffset < end; i++)
        {
            LogSegment segment = segments[i];
            // A segment deleted meanwhile (retention, the cleaner's swap) holds nothing the state still needs.
            if (!segment.TryAcquire())
                continue;
            try
            {
                int start = segment.BaseOffset < from ? segment.OffsetIndex.Lookup(from).Position : 0;
                using var scanner = new BatchScanner(segment.Log, start, segment.SizeInBytes, verifyCrc: false);
                while (scanner.MoveNext())
                {
                    RecordBatch batch = scanner.Current;
                    if (batch.BaseOffset >= end)
                        break;
                    if (batch.LastOffset >= from && batch.ProducerId >= 0 && !visit(batch))
                        return;
                }
            }
            finally
            {
                segment.Release();
            }
        }
    }

    /// <summary>A failed write took back batches the state had recorded: it is loaded again, from the log, when next needed.</summary>
    private void DropProducerState()
    {
        _producerState.Invalidate();
        _producerReplayEnd = long.MaxValue;
    }

    /// <summary>The snapshot of the state at the log end (loading it first), or null, logged, when it cannot be loaded.
    /// Under the write lock.</summary>
    private byte[]? TakeProducerSnapshot()
    {
        if (!_producerState.IsLoaded)
        {
            try
            {
                LoadProducerState();
            }
            catch (Exception e) when (e is StorageException or CorruptRecordException or IOException or UnauthorizedAccessException)
            {
                ProducerStateLog.LoadFailed(_logger, Id, e);
                return null;
            }
        }
        return ProducerSnapshotFile.Encode(_producerState.SnapshotEntries());
    }

    /// <summary>
    /// At a roll, under the write lock: writes the snapshot of the state at <paramref name="offset"/> (the new segment's
    /// base offset) by a rename, without fsync — a few dozen microseconds for a small file, as Kafka's roll writes it.
    /// The roll's background flush makes it durable (<see cref="SyncRollSnapshot"/>); a power loss before that leaves
    /// at worst a torn snapshot, which is detected and ignored.
    /// </summary>
    private void WriteRollSnapshot(long offset)
    {
        if (_snapshots is not null && TakeProducerSnapshot() is { } snapshot)
            WriteProducerSnapshot(offset, snapshot, fsyncFile: false, fsyncDirectory: false);
    }

    /// <summary>The roll's background flush, after the flush whose directory fsync made the snapshot's name durable:
    /// fsyncs its bytes.</summary>
    private void SyncRollSnapshot(long offset)
    {
        try
        {
            _snapshots?.Sync(offset);
        }
        catch (StorageException e)
        {
            ProducerStateLog.SnapshotWriteFailed(_logger, Id, offset, e);
        }
    }

    /// <summary>At a clean close, under the write and flush locks and after the final flush: the snapshot at the log end,
    /// unless the newest one already is there (nothing appended since) or the log is empty. Its name is made durable by
    /// the checkpoint written next, or by a directory fsync of its own when the checkpoint is current.</summary>
    private void WriteCloseSnapshot()
    {
        // An unfinished truncation may have left no segment to load the state from; the next open completes it.
        if (_snapshots is null || _unfinishedTruncation is not null)
        {
            _snapshots?.Close();
            return;
        }
        long end = _logEndOffset;
        long latest = _snapshots.Latest;
        if (latest != end && (latest >= 0 || end > _logStartOffset) && TakeProducerSnapshot() is { } snapshot)
            WriteProducerSnapshot(end, snapshot, fsyncFile: true, fsyncDirectory: CheckpointIsCurrent);
        _snapshots.Close();
    }

    private void WriteProducerSnapshot(long offset, byte[] snapshot, bool fsyncFile, bool fsyncDirectory)
    {
        try
        {
            _snapshots!.Write(offset, snapshot, LogStartOffset, fsyncFile, fsyncDirectory);
        }
        catch (StorageException e)
        {
            ProducerStateLog.SnapshotWriteFailed(_logger, Id, offset, e);
        }
    }
}
