using System.Buffers.Binary;
using LogStore.Storage;

namespace LogStore.Retention;

/// <summary>What one <see cref="Cleaner.Clean"/> did.</summary>
/// <param name="Outcome">Whether the cleaned segments replaced the old ones (null: there was nothing to clean).</param>
/// <param name="EndOffset">Everything below it is now clean: the next first dirty offset.</param>
/// <param name="SegmentsBefore">Segments rewritten.</param>
/// <param name="BytesBefore">Their bytes.</param>
/// <param name="SegmentsAfter">Cleaned segments that replaced them.</param>
/// <param name="BytesAfter">Their bytes.</param>
/// <param name="EarliestDeleteHorizon">The earliest delete horizon of a tombstone kept, or <see cref="long.MaxValue"/>.</param>
internal readonly record struct CleanResult(SwapOutcome? Outcome, long EndOffset, int SegmentsBefore, long BytesBefore,
    int SegmentsAfter, long BytesAfter, long EarliestDeleteHorizon);

/// <summary>
/// Compacts one partition (Kafka's Cleaner.doClean): maps the latest offset of every key in the dirty section, then
/// rewrites every inactive segment from the log's start up to the end of what was mapped, keeping only each key's latest
/// record (see <see cref="BatchFilter"/>), grouping consecutive segments into cleaned segments of at most
/// <see cref="TopicConfig.SegmentBytes"/>, and swapping them in atomically (<see cref="PartitionLog.ReplaceSegments"/>).
/// The active segment is never touched, so appends go on meanwhile.
/// </summary>
/// <remarks>
/// <para>Offsets never change: a cleaned segment keeps the base offset of the first segment of its group and every
/// batch its base and last offset, so compaction leaves gaps, which readers and indexes already handle (a read returns
/// the first batch whose last offset reaches the offset asked for). The last batch of each group is always kept, with no
/// records if none stay, so the cleaned segment still ends where the old ones did; the loader relies on that to complete
/// an interrupted swap.</para>
/// <para>Thread-safety: none; the <see cref="LogCleaner"/> runs one clean at a time. The segments being read are held by
/// reference, so retention may delete them meanwhile; the swap then notices and discards the cleaned copy.</para>
/// </remarks>
internal sealed class Cleaner(OffsetMap map, TimeProvider time)
{
    private const int CancellationCheckInterval = 256;

    /// <summary>Cleans <paramref name="log"/> from its start, treating offsets from <paramref name="firstDirtyOffset"/> on as dirty.</summary>
    public CleanResult Clean(PartitionLog log, long firstDirtyOffset, CancellationToken cancellationToken)
    {
        LogSegment[] snapshot = log.Segments.Snapshot;
        if (snapshot.Length < 2)
            return new CleanResult(null, firstDirtyOffset, 0, 0, 0, 0, long.MaxValue);
        LogSegment[] cleanable = snapshot[..^1];
        int held = 0;
        try
        {
            for (; held < cleanable.Length; held++)
            {
                if (!cleanable[held].TryAcquire())
                    return new CleanResult(SwapOutcome.Abandoned, firstDirtyOffset, 0, 0, 0, 0, long.MaxValue);
            }
            return CleanHeld(log, cleanable, snapshot[^1].BaseOffset, firstDirtyOffset, cancellationToken);
        }
        finally
        {
            for (int i = 0; i < held; i++)
                cleanable[i].Release();
        }
    }

    private CleanResult CleanHeld(PartitionLog log, LogSegment[] segments, long firstUncleanable, long firstDirtyOffset, CancellationToken cancellationToken)
    {
        long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        long firstDirty = Math.Clamp(firstDirtyOffset, segments[0].BaseOffset, firstUncleanable);
        map.Clear();
        long endOffset = BuildOffsetMap(segments, firstDirty, firstUncleanable, cancellationToken);

        int count = 0;
        while (count < segments.Length && segments[count].BaseOffset < endOffset)
            count++;
        LogSegment[] toClean = segments[..Math.Max(count, 1)];
        List<LogSegment[]> groups = GroupBySize(toClean, log.Config, firstUncleanable);

        var written = new List<long>(groups.Count);
        long bytesBefore = 0, bytesAfter = 0;
        long earliestHorizon = long.MaxValue;
        bool committed = false;
        try
        {
            using var filter = new BatchFilter();
            foreach (LogSegment[] group in groups)
            {
                foreach (LogSegment segment in group)
                    bytesBefore += segment.SizeInBytes;
                written.Add(group[0].BaseOffset);
                bytesAfter += WriteGroup(log, group, filter, nowMs, ref earliestHorizon, cancellationToken);
            }
            cancellationToken.ThrowIfCancellationRequested();
            SwapOutcome outcome = log.ReplaceSegments(written, toClean);
            committed = outcome != SwapOutcome.Abandoned;
            return new CleanResult(outcome, endOffset, toClean.Length, bytesBefore, written.Count, bytesAfter, earliestHorizon);
        }
        finally
        {
            if (!committed)
            {
                foreach (long baseOffset in written)
                    log.DeleteSegmentFiles(baseOffset, Storage.LogFileNames.CleanedSuffix);
            }
        }
    }

    /// <summary>
    /// Maps every keyed record from <paramref name="firstDirty"/> on, whole batches at a time, until the map is full or
    /// the active segment is reached; returns the offset after the last batch mapped (Kafka's buildOffsetMap).
    /// </summary>
    private long BuildOffsetMap(LogSegment[] segments, long firstDirty, long firstUncleanable, CancellationToken cancellationToken)
    {
        long end = firstDirty;
        int batches = 0;
        for (int i = Math.Max(0, LogSegments.FloorIndex(segments, firstDirty)); i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            int start = segment.LookupIndex(firstDirty).Position;
            using var scanner = new BatchScanner(segment.Log, start, segment.Log.SizeInBytes, verifyCrc: true);
            while (scanner.MoveNext())
            {
                RecordBatch batch = scanner.Current;
                if (batch.LastOffset < firstDirty)
                    continue;
                if (map.Count + batch.RecordCount > map.MaxEntries)
                {
                    if (end == firstDirty)
                        throw new InvalidOperationException($"The cleaner's offset map holds {map.MaxEntries} keys, too few for one batch of {batch.RecordCount} records.");
                    return end;
                }
                if (++batches % CancellationCheckInterval == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                if (!batch.IsControlBatch)
                {
                    foreach (Record record in batch)
                    {
                        if (!record.IsKeyNull && record.Offset >= firstDirty)
                            map.Put(OffsetMap.Hash(record.Key), record.Offset);
                    }
                }
                end = batch.NextOffset;
            }
            ThrowIfCorrupt(scanner, segment);
            end = i + 1 < segments.Length ? segments[i + 1].BaseOffset : firstUncleanable;
        }
        return Math.Max(end, firstDirty);
    }

    /// <summary>Kafka's groupSegmentsBySize: consecutive segments whose bytes fit in one segment and whose offsets fit
    /// relative to the first one's base offset.</summary>
    private static List<LogSegment[]> GroupBySize(LogSegment[] segments, TopicConfig config, long firstUncleanable)
    {
        var groups = new List<LogSegment[]>();
        int i = 0;
        while (i < segments.Length)
        {
            int first = i;
            long size = segments[i].SizeInBytes;
            i++;
            while (i < segments.Length && size + segments[i].SizeInBytes <= config.SegmentBytes)
            {
                long lastOffset = (i + 1 < segments.Length ? segments[i + 1].BaseOffset : firstUncleanable) - 1;
                if (lastOffset - segments[first].BaseOffset > int.MaxValue)
                    break;
                size += segments[i].SizeInBytes;
                i++;
            }
            groups.Add(segments[first..i]);
        }
        return groups;
    }

    /// <summary>Writes one group's retained batches as a <c>.cleaned</c> segment; returns its size.</summary>
    private long WriteGroup(PartitionLog log, LogSegment[] group, BatchFilter filter, long nowMs, ref long earliestHorizon, CancellationToken cancellationToken)
    {
        long deleteRetentionMs = (long)log.Config.DeleteRetentionTime.TotalMilliseconds;
        using var writer = new CleanedSegmentWriter(log.Directory, group[0].BaseOffset, log.Config, log.Files);
        byte[]? lastDropped = null;
        int batches = 0;
        foreach (LogSegment segment in group)
        {
            using var scanner = new BatchScanner(segment.Log, 0, segment.Log.SizeInBytes, verifyCrc: true);
            while (scanner.MoveNext())
            {
                if (++batches % CancellationCheckInterval == 0)
                    cancellationToken.ThrowIfCancellationRequested();
                RecordBatch batch = scanner.Current;
                switch (filter.Filter(batch, map, nowMs, deleteRetentionMs))
                {
                    case FilterOutcome.Unchanged:
                        writer.Append(batch.Span, batch.LastOffset, batch.MaxTimestamp);
                        lastDropped = null;
                        break;
                    case FilterOutcome.Rewritten:
                        // The rewrite keeps the last offset; its maxTimestamp may have gone down with the records.
                        writer.Append(filter.Output, batch.LastOffset, BinaryPrimitives.ReadInt64BigEndian(filter.Output[RecordBatch.MaxTimestampOffset..]));
                        lastDropped = null;
                        break;
                    default:
                        lastDropped ??= new byte[RecordBatch.HeaderSize];
                        batch.Span[..RecordBatch.HeaderSize].CopyTo(lastDropped);
                        break;
                }
                earliestHorizon = Math.Min(earliestHorizon, filter.RetainedTombstoneHorizon);
            }
            ThrowIfCorrupt(scanner, segment);
        }
        if (lastDropped is not null)
        {
            // The group's last batch went: keep its header, so the cleaned segment still ends where the group did.
            RecordBatch header = RecordBatch.Parse(HeaderOnly(lastDropped));
            filter.WriteEmpty(header);
            writer.Append(filter.Output, header.LastOffset, header.MaxTimestamp);
        }
        writer.Complete();
        return writer.SizeInBytes;
    }

    private static byte[] HeaderOnly(byte[] header)
    {
        // Parse wants a well-framed batch: claim exactly the header's length.
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), RecordBatch.HeaderSize - RecordBatch.LogOverhead);
        return header;
    }

    private static void ThrowIfCorrupt(BatchScanner scanner, LogSegment segment)
    {
        if (scanner.Stop != ScanStop.None)
            throw new CorruptRecordException($"The cleaner found a damaged batch in segment {segment.BaseOffset}: {scanner.StopReason}.", segment.Log.FilePath, scanner.ValidBytesEnd);
    }
}
