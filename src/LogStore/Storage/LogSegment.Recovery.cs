using LogStore.Storage.Indexing;

namespace LogStore.Storage;

internal sealed partial class LogSegment
{
    /// <summary>
    /// Validates every batch from the start (length, magic, CRC, offsets increasing and inside the segment's
    /// relative range) and rebuilds both indexes from the valid ones. Invalid bytes past the byte position of
    /// <paramref name="recoveryPoint"/> (where every offset below it has been seen) were never acknowledged as durable:
    /// they are cut, and kept beside the segment (<see cref="FileRecords.CutTail"/>). Invalid bytes below it are damage
    /// to durable data: nothing is cut, and the result says where the damage is and how far the segment's offsets
    /// may reach past it (<see cref="FindEndPastDamage"/>). Called only by <see cref="LogLoader"/> on segments from the
    /// one holding the recovery point on, with the indexes writable.
    /// </summary>
    public RecoveryResult Recover(long recoveryPoint)
    {
        lock (_rebuildLock)
        {
            OffsetIndex.Reset();
            TimeIndex.Reset();
            (int validBytes, string? reason, long nextExpected) = IndexValidBatches();
            _indexesValidated = true;
            _indexesRebuiltFromLog = true;
            int invalid = Log.SizeInBytes - validBytes;
            if (invalid == 0)
                return new RecoveryResult(validBytes, 0, null, null, null);
            reason ??= "invalid batch";
            if (nextExpected < recoveryPoint)
            {
                var damage = new SegmentDamage(validBytes, nextExpected, reason, FindEndPastDamage(validBytes, nextExpected));
                return new RecoveryResult(validBytes, 0, reason, damage, null);
            }
            try
            {
                string cut = Log.CutTail(validBytes);
                return new RecoveryResult(validBytes, invalid, reason, null, cut);
            }
            catch (StorageException e)
            {
                // No room to keep what would be cut (a full disk): it stays, treated as damage, and the log goes on
                // past it in a new segment rather than lose a byte.
                reason = $"{reason}; not cut: {e.Message}";
                var uncut = new SegmentDamage(validBytes, nextExpected, reason, FindEndPastDamage(validBytes, nextExpected));
                return new RecoveryResult(validBytes, 0, reason, uncut, null);
            }
        }
    }

    /// <summary>
    /// Recovery of a segment that is not the last one, without touching its indexes when they are intact: validates
    /// every batch exactly as <see cref="Recover"/> does and checks both indexes (trimmed, as the roll left them)
    /// against the batches — every offset-index entry at a batch start holding the batch's last offset, every
    /// time-index entry the max timestamp of the batch ending at its offset. Returns false, having changed nothing,
    /// when the log has anything invalid or an index disagrees; the caller then recovers the segment with
    /// <see cref="Recover"/>, which truncates the log and rebuilds the indexes.
    /// </summary>
    /// <remarks>Rebuilding an intact index costs a read-write reopen, a preallocation, a trim and an fsync per index:
    /// most of a recovery of many small segments (a lost checkpoint) and none of its use.</remarks>
    public bool TryValidateKeepingIndexes()
    {
        lock (_rebuildLock)
        {
            if (OffsetIndex.IsWritable || !IndexesLookValid())
                return false;
            OffsetIndex offsets = OffsetIndex.Get();
            TimeIndex times = TimeIndex.Get();
            int offsetEntry = 0;
            int timeEntry = 0;
            long nextExpected = BaseOffset;
            long maxTimestamp = -1;
            long offsetOfMax = BaseOffset;
            using (var scanner = new BatchScanner(Log, 0, Log.SizeInBytes, verifyCrc: true))
            {
                while (scanner.MoveNext())
                {
                    RecordBatch batch = scanner.Current;
                    if (CheckOffsets(batch, nextExpected) is not null)
                        return false;
                    if (offsetEntry < offsets.Entries && offsets.Entry(offsetEntry) is var entry && entry.Position <= scanner.CurrentPosition)
                    {
                        if (entry.Position < scanner.CurrentPosition || entry.Offset != batch.LastOffset)
                            return false;
                        offsetEntry++;
                    }
                    if (timeEntry < times.Entries && times.Entry(timeEntry) is var time && time.Offset <= batch.LastOffset)
                    {
                        if (time.Offset < batch.LastOffset || time.Timestamp != batch.MaxTimestamp)
                            return false;
                        timeEntry++;
                    }
                    if (batch.MaxTimestamp > maxTimestamp)
                    {
                        maxTimestamp = batch.MaxTimestamp;
                        offsetOfMax = batch.LastOffset;
                    }
                    nextExpected = batch.NextOffset;
                }
                if (scanner.Stop != ScanStop.None || scanner.ValidBytesEnd != Log.SizeInBytes)
                    return false;
            }
            if (offsetEntry != offsets.Entries || timeEntry != times.Entries)
                return false;
            _offsetOfMaxTimestampSoFar = offsetOfMax;
            Volatile.Write(ref _maxTimestampSoFar, maxTimestamp);
            _indexesValidated = true;
            return true;
        }
    }

    /// <summary>
    /// The cheap check of a segment trusted after a clean shutdown: the batches from the last offset-index entry to the
    /// end (at most about <c>index.interval.bytes</c> and one batch) must be whole, pass their CRC, and follow on from
    /// that entry. Returns null when they do, otherwise what is wrong. Reads the indexes (rebuilding damaged ones).
    /// </summary>
    public string? ValidateTail()
    {
        int size = Log.SizeInBytes;
        if (size == 0)
            return null;
        OffsetPosition last = LookupIndex(long.MaxValue);
        if (last.Position >= size)
            return $"the last index entry points at position {last.Position}, past the end of the log ({size} bytes)";
        using var scanner = new BatchScanner(Log, last.Position, size, verifyCrc: true);
        long nextExpected = BaseOffset;
        bool first = true;
        while (scanner.MoveNext())
        {
            RecordBatch batch = scanner.Current;
            if (first && last.Position > 0 && batch.LastOffset != last.Offset)
                return $"the batch at the last index entry (position {last.Position}) ends at offset {batch.LastOffset}, not {last.Offset}";
            if (CheckOffsets(batch, nextExpected) is { } reason)
                return $"{reason} at position {scanner.CurrentPosition}";
            first = false;
            nextExpected = batch.NextOffset;
        }
        return scanner.Stop == ScanStop.None ? null : $"{scanner.StopReason} at position {scanner.ValidBytesEnd}";
    }

    /// <summary>Rebuilds a damaged index of an inactive segment from its log, leaving the log untouched.</summary>
    public void RebuildIndexes()
    {
        lock (_rebuildLock)
            RebuildIndexesLocked();
    }

    private void RebuildIndexesLocked()
    {
        bool wasWritable = OffsetIndex.IsWritable;
        OffsetIndex.DeleteIfExists();
        TimeIndex.DeleteIfExists();
        OffsetIndex.MakeWritable();
        TimeIndex.MakeWritable();
        IndexValidBatches();
        if (!wasWritable)
            OnBecomeInactive();
        _indexesValidated = true;
        _indexesRebuiltFromLog = true;
    }

    /// <summary>Scans the log, re-adding index entries exactly as appends did; returns where the valid batches end, why
    /// the scan stopped there, and the offset the next batch should have had.</summary>
    private (int ValidBytes, string? Reason, long NextExpected) IndexValidBatches()
    {
        _bytesSinceLastIndexEntry = 0;
        long maxTimestamp = -1;
        long offsetOfMax = BaseOffset;
        long nextExpected = BaseOffset;
        string? reason = null;
        int validEnd;
        using (var scanner = new BatchScanner(Log, 0, Log.SizeInBytes, verifyCrc: true))
        {
            while (scanner.MoveNext())
            {
                RecordBatch batch = scanner.Current;
                reason = CheckOffsets(batch, nextExpected);
                if (reason is not null)
                    break;
                if (batch.MaxTimestamp > maxTimestamp)
                {
                    maxTimestamp = batch.MaxTimestamp;
                    offsetOfMax = batch.LastOffset;
                }
                _maxTimestampSoFar = maxTimestamp;
                _offsetOfMaxTimestampSoFar = offsetOfMax;
                AddIndexEntryIfDue(batch.LastOffset, scanner.CurrentPosition, batch.SizeInBytes);
                nextExpected = batch.NextOffset;
            }
            validEnd = reason is null ? scanner.ValidBytesEnd : scanner.CurrentPosition;
            reason ??= scanner.StopReason;
        }
        _offsetOfMaxTimestampSoFar = offsetOfMax;
        Volatile.Write(ref _maxTimestampSoFar, maxTimestamp);
        return (validEnd, reason, nextExpected);
    }

    private string? CheckOffsets(RecordBatch batch, long nextExpected) => CheckOffsets(batch, nextExpected, BaseOffset);

    private static string? CheckOffsets(RecordBatch batch, long nextExpected, long segmentBase)
    {
        if (batch.BaseOffset < nextExpected)
            return $"batch base offset {batch.BaseOffset} is below the expected {nextExpected}";
        if (batch.LastOffsetDelta < 0 || batch.RecordCount < 0)
            return $"batch has lastOffsetDelta {batch.LastOffsetDelta} and recordCount {batch.RecordCount}";
        if (batch.LastOffset - segmentBase > int.MaxValue)
            return $"batch last offset {batch.LastOffset} is too far above the segment's base offset {segmentBase}";
        return null;
    }

    /// <summary>
    /// Where the valid batches of a segment's log end, by the rules of <see cref="Recover"/> (length, magic, CRC, offsets
    /// increasing from <paramref name="baseOffset"/>), and why they end there (null at the end of the file). For
    /// <c>logstore repair</c>, which reads a closed store without loading it.
    /// </summary>
    public static (int ValidBytes, string? Reason) FindFirstInvalidByte(FileRecords log, long baseOffset)
    {
        using var scanner = new BatchScanner(log, 0, log.SizeInBytes, verifyCrc: true);
        long nextExpected = baseOffset;
        while (scanner.MoveNext())
        {
            if (CheckOffsets(scanner.Current, nextExpected, baseOffset) is { } reason)
                return (scanner.CurrentPosition, reason);
            nextExpected = scanner.Current.NextOffset;
        }
        return (scanner.ValidBytesEnd, scanner.StopReason);
    }
}

/// <summary>What <see cref="LogSegment.Recover"/> found.</summary>
/// <param name="ValidBytes">Bytes of valid batches from the start.</param>
/// <param name="BytesCut">Bytes cut after them (past the recovery point), kept in <paramref name="CutFile"/>.</param>
/// <param name="Reason">Why the scan stopped before the end, when it did.</param>
/// <param name="Damage">Damage below the recovery point, left in place; null when there is none.</param>
/// <param name="CutFile">Where the bytes cut are kept, when some were cut.</param>
internal readonly record struct RecoveryResult(int ValidBytes, int BytesCut, string? Reason, SegmentDamage? Damage, string? CutFile);
