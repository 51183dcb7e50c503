using System.Buffers;
using System.Buffers.Binary;
using LogStore.Storage.Indexing;

namespace LogStore.Storage;

internal sealed partial class LogSegment
{
    // Enough of a batch header to know its size, magic and last offset.
    private const int PeekSize = 27;

    private volatile bool _indexesValidated;

    // Set once the indexes were rebuilt from the log in this process: after that, a read that disagrees with them has
    // found damage in the log, not in the index.
    private volatile bool _indexesRebuiltFromLog;

    /// <summary>
    /// Reads whole batches starting with the one that holds <paramref name="offset"/>: at least that batch, then more
    /// while they fit in <paramref name="maxBytes"/>. Returns null when no batch of this segment reaches the offset.
    /// Every batch returned has been checked (length, magic, CRC), and every batch header on the way follows the chain
    /// of offsets and index entries (<see cref="BatchChain"/>): damage is a <see cref="CorruptRecordException"/>, never a
    /// skipped or mislabelled record. A mismatch with the index of an inactive segment first rebuilds the index from the
    /// log (once per segment; the index may be what is wrong) and reads again.
    /// Batches at or past <paramref name="highWatermark"/> are left out: the segment's size is published before the
    /// partition's log end, and a reader must never get ahead of the offsets the partition admits to.
    /// </summary>
    public FetchResult? Read(TopicPartition tp, long offset, int maxBytes, long highWatermark, long logStartOffset)
    {
        try
        {
            return ReadChained(tp, offset, maxBytes, highWatermark, logStartOffset);
        }
        catch (CorruptRecordException) when (_followed is not null && !_indexesRebuiltFromLog)
        {
            // The file at the path may have been replaced since it was scanned (the writer's cleaner swaps segments).
            _indexesRebuiltFromLog = true;
            _followed.Reset();
            return ReadChained(tp, offset, maxBytes, highWatermark, logStartOffset);
        }
        catch (CorruptRecordException) when (!OffsetIndex.IsWritable && !_indexesRebuiltFromLog)
        {
            RebuildIndexes();
            return ReadChained(tp, offset, maxBytes, highWatermark, logStartOffset);
        }
    }

    private FetchResult? ReadChained(TopicPartition tp, long offset, int maxBytes, long highWatermark, long logStartOffset)
    {
        _followed?.EnsureScanned();
        int limit = Log.SizeInBytes;
        (OffsetPosition start, OffsetPosition next, OffsetPosition afterNext) = LookupIndexWithNext(offset);
        if (start.Position >= limit)
            return null;
        FetchResult? result;
        if (start.Position > 0 && start.Offset < offset && next.Position < limit)
        {
            // The entry's own batch ends at start.Offset, below the target, so the target is in the batch at the next
            // entry, or in one between the two that got no entry. With batches larger than the index interval (the
            // producer's 16 KiB against 4 KiB) it is always the first: that batch is read alone, its size bounded by the
            // entry after it, with no read of the header before it. The chain starts at the next entry instead (its
            // batch must end at that entry's offset), and the batch must start above this entry's offset.
            var jump = new BatchChain(BaseOffset, _denseOffsets, next, afterNext);
            int size = afterNext.Position < limit ? afterNext.Position - next.Position : next.Position - start.Position;
            if (TryReadFrom(tp, offset, maxBytes, highWatermark, logStartOffset, limit, next.Position, size, ref jump, start.Offset, out result))
                return result;
        }

        var chain = new BatchChain(BaseOffset, _denseOffsets, start, next);
        int position = start.Position;
        int steppedOver = 0;
        if (start.Position > 0 && start.Offset < offset)
        {
            // The target lies in a batch between the two entries: only the entry's own batch's header is read (for the
            // chain), rather than a window that would be thrown away.
            steppedOver = StepOverEntryBatch(position, limit, highWatermark, ref chain);
            position += steppedOver;
            if (position >= limit || steppedOver == 0)
                return null;
        }
        // Landing on the next index entry, the batch there is the one wanted: it is read whole at once, guessing it is
        // as large as the one stepped over.
        TryReadFrom(tp, offset, maxBytes, highWatermark, logStartOffset, limit, position, position == next.Position ? steppedOver : 0,
            ref chain, previousEntryOffset: -1, out result);
        return result;
    }

    /// <summary>
    /// Reads from <paramref name="position"/> (where a batch starts) the batches <see cref="Read"/> returns, walking the
    /// headers along <paramref name="chain"/> to the one that holds <paramref name="offset"/>. <paramref name="sizeHint"/>
    /// is the expected size of the batch there (0 when unknown). With <paramref name="previousEntryOffset"/> (not -1),
    /// the first batch must start above it and is the only one looked at: false when it starts past the offset (the
    /// caller then scans from the entry before).
    /// </summary>
    private bool TryReadFrom(TopicPartition tp, long offset, int maxBytes, long highWatermark, long logStartOffset, int limit,
        int position, int sizeHint, ref BatchChain chain, long previousEntryOffset, out FetchResult? result)
    {
        result = null;
        // maxBytes alone (not plus the index interval): a pooled 1 MiB fetch then rents 1 MiB, not the next power of
        // two; when the target batch lies past the window, the scan below refills from there.
        int window = (int)Math.Min(limit - position, Math.Max(Math.Max(maxBytes, 4096), sizeHint));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(window);
        try
        {
            int filled = Log.Read(position, buffer.AsSpan(0, window), limit);
            int cursor = 0;
            long lastOffset;
            while (true)
            {
                if (position + cursor >= limit)
                {
                    // Stepping past the end means the last length stepped over was wrong: the records after it would
                    // be skipped silently.
                    if (position + cursor > limit)
                        throw Corrupt(position + cursor, "a batch length points past the end of the segment");
                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }
                if (filled - cursor < PeekSize)
                {
                    position += cursor;
                    filled = Log.Read(position, buffer, limit);
                    cursor = 0;
                    if (filled < PeekSize)
                        throw Corrupt(position, "a batch header is cut short");
                }
                int size = PeekBatch(buffer.AsSpan(cursor, PeekSize), position + cursor, out long baseOffset, out lastOffset);
                if (chain.Check(position + cursor, baseOffset, lastOffset) is { } broken)
                    throw Corrupt(position + cursor, broken);
                if (previousEntryOffset >= 0)
                {
                    if (baseOffset <= previousEntryOffset)
                        throw Corrupt(position, $"the batch at the index entry for offset {lastOffset} starts at offset {baseOffset}, not above the entry before it ({previousEntryOffset})");
                    if (baseOffset > offset)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return false;
                    }
                }
                if (lastOffset >= highWatermark)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return true;
                }
                if (lastOffset >= offset)
                    break;
                cursor += size;
            }

            int first = cursor;
            int end = first;
            int count = 0;
            while (filled - end >= PeekSize)
            {
                // Past the first batch (checked above), a damaged header ends this read (the valid batches before it
                // are returned); the next read, starting there, reports the damage.
                if (!TryPeekBatch(buffer.AsSpan(end, PeekSize), out int size, out long baseOffset, out lastOffset))
                {
                    if (count == 0)
                        throw Corrupt(position + end, "the batch header is invalid (length or magic)");
                    break;
                }
                if (count > 0 && chain.Check(position + end, baseOffset, lastOffset) is not null)
                    break;
                if (end + size > filled || (count > 0 && end + size - first > maxBytes) || lastOffset >= highWatermark)
                    break;
                end += size;
                count++;
            }
            if (count == 0)
            {
                // The first batch is larger than what was read: read exactly it, whatever maxBytes says (as Kafka's
                // fetch), keeping the part already read.
                int size = PeekBatch(buffer.AsSpan(first, PeekSize), position + first, out _, out _);
                int have = filled - first;
                byte[] whole = ArrayPool<byte>.Shared.Rent(size);
                buffer.AsSpan(first, have).CopyTo(whole);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = whole;
                position += first;
                first = 0;
                if (Log.Read(position + have, buffer.AsSpan(have, size - have), limit) != size - have)
                    throw Corrupt(position, $"the batch claims {size} bytes past the end of the segment");
                end = size;
                count = 1;
            }
            (end, count) = Verify(buffer, first, end, position);
            result = new FetchResult(tp, buffer, first, end - first, count, highWatermark, logStartOffset);
            return true;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Reads the header of the batch at <paramref name="position"/> that an index entry names, checks it against
    /// the chain, and returns its size (the step to the next batch); 0 when that batch is not below the high
    /// watermark yet.</summary>
    private int StepOverEntryBatch(int position, int limit, long highWatermark, ref BatchChain chain)
    {
        Span<byte> header = stackalloc byte[PeekSize];
        if (Log.Read(position, header, limit) < PeekSize)
            throw Corrupt(position, "a batch header is cut short");
        int size = PeekBatch(header, position, out long baseOffset, out long lastOffset);
        if (chain.Check(position, baseOffset, lastOffset) is { } broken)
            throw Corrupt(position, broken);
        if (lastOffset >= highWatermark)
            return 0;
        if (position + (long)size > limit)
            throw Corrupt(position, "a batch length points past the end of the segment");
        return size;
    }

    /// <summary>The first offset at or after <paramref name="startingOffset"/> whose timestamp is at least
    /// <paramref name="timestamp"/>, found through the time index and a short scan; null when there is none here.</summary>
    public long? FindOffsetByTimestamp(long timestamp, long startingOffset)
    {
        _followed?.EnsureScanned();
        TimestampOffset hint = LookupTimeIndex(timestamp);
        int position = LookupIndex(Math.Max(hint.Offset, startingOffset)).Position;
        using var scanner = new BatchScanner(Log, position, Log.SizeInBytes, verifyCrc: true);
        while (scanner.MoveNext())
        {
            RecordBatch batch = scanner.Current;
            if (batch.MaxTimestamp < timestamp || batch.LastOffset < startingOffset)
                continue;
            bool logAppendTime = batch.TimestampType == TimestampType.LogAppendTime;
            foreach (Record record in batch)
            {
                long recordTimestamp = logAppendTime ? batch.MaxTimestamp : record.Timestamp;
                if (record.Offset >= startingOffset && recordTimestamp >= timestamp)
                    return record.Offset;
            }
        }
        if (scanner.Stop == ScanStop.Corrupt)
            throw Corrupt(scanner.ValidBytesEnd, scanner.StopReason!);
        return null;
    }

    /// <summary><see cref="LookupIndex"/> plus the two entries after the one found (<see cref="BatchChain"/>).</summary>
    private (OffsetPosition Start, OffsetPosition Next, OffsetPosition AfterNext) LookupIndexWithNext(long offset)
    {
        if (_followed is not null)
            return _followed.LookupWithNext(offset);
        EnsureIndexesValid();
        try
        {
            return OffsetIndex.LookupWithNext(offset);
        }
        catch (CorruptIndexException)
        {
            RebuildIndexes();
            return OffsetIndex.LookupWithNext(offset);
        }
    }

    /// <summary>The index entry to start scanning from for <paramref name="offset"/>; a damaged index is rebuilt first.</summary>
    internal OffsetPosition LookupIndex(long offset)
    {
        if (_followed is not null)
            return _followed.LookupWithNext(offset).Start;
        EnsureIndexesValid();
        try
        {
            return OffsetIndex.Lookup(offset);
        }
        catch (CorruptIndexException)
        {
            RebuildIndexes();
            return OffsetIndex.Lookup(offset);
        }
    }

    private TimestampOffset LookupTimeIndex(long timestamp)
    {
        // A followed segment keeps no time index: the search scans it from its start.
        if (_followed is not null)
            return new TimestampOffset(Indexing.TimeIndex.NoTimestamp, BaseOffset);
        EnsureIndexesValid();
        try
        {
            return TimeIndex.Lookup(timestamp);
        }
        catch (CorruptIndexException)
        {
            RebuildIndexes();
            return TimeIndex.Lookup(timestamp);
        }
    }

    private TimestampOffset LookupTimeIndexLast()
    {
        EnsureIndexesValid();
        try
        {
            return TimeIndex.LastEntry();
        }
        catch (CorruptIndexException)
        {
            RebuildIndexes();
            return TimeIndex.LastEntry();
        }
    }

    /// <summary>
    /// The first use of an inactive segment's indexes checks them against the log: a trimmed index holds exactly its
    /// entries, increasing, pointing inside the log. Anything else (zeroed, truncated, garbage) is rebuilt, so index
    /// damage never reaches a reader.
    /// </summary>
    internal void EnsureIndexesValid()
    {
        if (_indexesValidated)
            return;
        lock (_rebuildLock)
        {
            if (_indexesValidated)
                return;
            if (!OffsetIndex.IsWritable && !IndexesLookValid())
                RebuildIndexesLocked();
            _indexesValidated = true;
        }
    }

    private bool IndexesLookValid()
    {
        try
        {
            OffsetIndex offsets = OffsetIndex.Get();
            TimeIndex times = TimeIndex.Get();
            if (offsets.FileLength != offsets.SizeInBytes || times.FileLength != times.SizeInBytes)
                return false;
            OffsetIndex.SanityCheck();
            TimeIndex.SanityCheck();
            return offsets.Entries == 0 || offsets.Entry(offsets.Entries - 1).Position < Log.SizeInBytes;
        }
        catch (CorruptIndexException)
        {
            return false;
        }
    }

    private int PeekBatch(ReadOnlySpan<byte> header, long filePosition, out long baseOffset, out long lastOffset) =>
        TryPeekBatch(header, out int size, out baseOffset, out lastOffset) ? size : throw Corrupt(filePosition, "the batch header is invalid (length or magic)");

    internal static bool TryPeekBatch(ReadOnlySpan<byte> header, out int size, out long baseOffset, out long lastOffset)
    {
        int batchLength = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        baseOffset = BinaryPrimitives.ReadInt64BigEndian(header);
        lastOffset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(header[23..]);
        size = RecordBatch.LogOverhead + batchLength;
        return batchLength >= RecordBatch.HeaderSize - RecordBatch.LogOverhead && batchLength <= int.MaxValue - RecordBatch.LogOverhead
            && header[16] == RecordBatch.CurrentMagic;
    }

    /// <summary>Checks the batches in <c>buffer[start..end)</c> (length, magic, CRC); returns where the valid ones end and
    /// how many there are. A damaged first batch throws; a damaged later one ends the read before it, so a reader gets
    /// every valid batch up to the damage and the next read, starting there, reports it.</summary>
    private (int End, int Count) Verify(byte[] buffer, int start, int end, long filePositionOfBuffer)
    {
        int count = 0;
        int at = start;
        while (at < end)
        {
            string? damage = null;
            RecordBatch batch = default;
            try
            {
                batch = RecordBatch.Parse(new ReadOnlyMemory<byte>(buffer, at, PeekBatchSize(buffer, at)));
                if (!batch.IsValid)
                    damage = "the batch's CRC does not match its bytes";
            }
            catch (CorruptRecordException e)
            {
                damage = e.Message;
            }
            if (damage is not null)
            {
                if (count == 0)
                    throw Corrupt(filePositionOfBuffer + at, damage);
                break;
            }
            at += batch.SizeInBytes;
            count++;
        }
        return (at, count);
    }

    private static int PeekBatchSize(byte[] buffer, int at) =>
        RecordBatch.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(at + 8));

    private CorruptRecordException Corrupt(long position, string reason) =>
        new($"Corrupt batch in segment {BaseOffset}: {reason}.", Log.FilePath, position);
}
