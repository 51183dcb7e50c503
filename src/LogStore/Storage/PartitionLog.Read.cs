using LogStore.Diagnostics;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    private readonly Lock _waitersLock = new();
    private TaskCompletionSource? _appended;

    /// <summary>Whole batches from the one holding <paramref name="offset"/>; empty when the offset is the log end.</summary>
    public FetchResult Read(long offset, int maxBytes) => Read(offset, maxBytes, long.MaxValue);

    /// <summary>Like <see cref="Read(long, int)"/>, but leaves out the batches at or past <paramref name="upTo"/> (a
    /// consumer's read stops at the high watermark); an offset from there to the log end reads empty.</summary>
    public FetchResult Read(long offset, int maxBytes, long upTo)
    {
        ThrowIfClosed();
        Follow();
        for (int attempt = 0; ; attempt++)
        {
            long truncations = TruncationsBeforeRead();
            (long logEnd, LogSegment[] segments, long logStart) = SnapshotFor(offset);
            long limit = Math.Min(logEnd, upTo);
            if (offset >= limit)
                return FetchResult.Empty(Id, limit, logStart);
            FetchResult? result;
            try
            {
                // False: a segment was deleted or swapped by the cleaner since the snapshot: look again.
                if (!TryRead(segments, offset, maxBytes, limit, logEnd, logStart, out result))
                    continue;
            }
            catch (LogStoreException) when (TruncatedSince(truncations))
            {
                // A follower's truncation cut the file under the read: what it found is no damage. Look again.
                continue;
            }
            catch (CorruptRecordException e)
            {
                throw ReportCorruptRead(e, offset);
            }
            catch (StorageException) when (_readOnly && attempt < 3)
            {
                // The writer deleted or replaced a segment file since the last look: look again.
                Follow();
                continue;
            }
            if (TruncatedSince(truncations))
            {
                // It may hold bytes past the cut of a truncation that ran meanwhile.
                result?.Dispose();
                continue;
            }
            return LogStoreMetrics.RecordRead(result ?? FetchResult.Empty(Id, limit, logStart));
        }
    }

    /// <summary>
    /// What a read at <paramref name="offset"/> works on. Log end, then segments, then log start: a roll adds its segment
    /// before the log end moves past it, and retention moves the log start before it removes segments, so this order never
    /// misses either.
    /// </summary>
    /// <exception cref="OffsetOutOfRangeException">The offset is below the log start or above the log end.</exception>
    private (long LogEnd, LogSegment[] Segments, long LogStart) SnapshotFor(long offset)
    {
        long logEnd = LogEndOffset;
        LogSegment[] segments = _segments.Snapshot;
        long logStart = LogStartOffset;
        if (offset < logStart || offset > logEnd)
            throw new OffsetOutOfRangeException(Id, offset, logStart, logEnd);
        return (logEnd, segments, logStart);
    }

    /// <summary>Damage met by a read: logged with its file and byte position, counted, and thrown with the offset read.
    /// The bytes stay on disk; nothing here changes a file.</summary>
    private CorruptRecordException ReportCorruptRead(CorruptRecordException e, long offset)
    {
        CorruptRecordException withOffset = e.Offset is null ? e.AtOffset(offset) : e;
        StorageLog.CorruptRead(_logger, Id, offset, withOffset.FilePath, withOffset.Position, withOffset.Reason);
        LogStoreMetrics.RecordCorruption(Id, "read");
        return withOffset;
    }

    private bool TryRead(LogSegment[] segments, long offset, int maxBytes, long limit, long logEnd, long logStart, out FetchResult? result)
    {
        int floor = Math.Max(0, LogSegments.FloorIndex(segments, offset));
        for (int i = floor; i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (!segment.TryAcquire())
            {
                result = null;
                return false;
            }
            try
            {
                // Compaction leaves gaps: a segment may end below the offset, and the next one holds what follows.
                result = segment.Read(Id, offset, maxBytes, limit, logStart);
                if (result is not null)
                    return true;
                ThrowIfRecordsMissing(segments, i, floor, offset, logEnd);
            }
            finally
            {
                segment.Release();
            }
        }
        result = null;
        return true;
    }

    /// <summary>
    /// Dense offsets leave no room for a gap: a segment that ends before the offset it should hold lost records (a
    /// truncated or deleted file), and reading on from the next segment would skip them silently.
    /// </summary>
    private void ThrowIfRecordsMissing(LogSegment[] segments, int i, int floor, long offset, long logEnd)
    {
        LogSegment segment = segments[i];
        if (i != floor || !segment.HasDenseOffsets || offset < segment.BaseOffset)
            return;
        long nextBase = i + 1 < segments.Length ? segments[i + 1].BaseOffset : logEnd;
        throw new CorruptRecordException($"Records are missing from {Id}: segment {segment.BaseOffset} ends before offset {offset}, " +
            $"but the next {(i + 1 < segments.Length ? "segment starts" : "append goes")} at offset {nextBase}.", segment.Log.FilePath, segment.SizeInBytes);
    }

    /// <summary>Like <see cref="Read(long, int)"/>, but when nothing is there yet waits up to <paramref name="maxWait"/> for an
    /// append instead of returning empty (the long poll of Kafka's fetch).</summary>
    public ValueTask<FetchResult> ReadAsync(long offset, int maxBytes, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        FetchResult result = Read(offset, maxBytes);
        if (!result.IsEmpty || maxWait <= TimeSpan.Zero)
            return ValueTask.FromResult(result);
        return WaitAndReadAsync(offset, maxBytes, maxWait, cancellationToken);
    }

    private async ValueTask<FetchResult> WaitAndReadAsync(long offset, int maxBytes, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        while (true)
        {
            Task appended = AppendedSignal();
            if (LogEndOffset > offset || _closed)
                return Read(offset, maxBytes);
            TimeSpan remaining = maxWait - _time.GetElapsedTime(start);
            if (remaining <= TimeSpan.Zero)
                return FetchResult.Empty(Id, LogEndOffset, LogStartOffset);
            try
            {
                // Another process appends to a followed log: nothing here signals it, so it is looked at now and then.
                await appended.WaitAsync(_readOnly ? TimeSpan.FromTicks(Math.Min(remaining.Ticks, FollowPollInterval.Ticks)) : remaining,
                    _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (_readOnly)
            {
                Follow();
            }
            catch (TimeoutException)
            {
                return Read(offset, maxBytes);
            }
        }
    }

    private Task AppendedSignal()
    {
        lock (_waitersLock)
        {
            _appended ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _appended.Task;
        }
    }

    /// <summary>Called after each append: costs one read of a field unless a reader waits.</summary>
    private void WakeReaders()
    {
        if (Volatile.Read(ref _appended) is null)
            return;
        TaskCompletionSource? waiting;
        lock (_waitersLock)
        {
            waiting = _appended;
            _appended = null;
        }
        waiting?.TrySetResult();
    }

    /// <summary>The first offset whose timestamp is at least <paramref name="timestampMs"/>, or null when every
    /// record is older (Kafka's ListOffsets by timestamp).</summary>
    public long? OffsetForTimestamp(long timestampMs)
    {
        ThrowIfClosed();
        Follow();
        while (true)
        {
            LogSegment[] segments = _segments.Snapshot;
            long logStart = LogStartOffset;
            if (TryFindOffset(segments, timestampMs, logStart, out long? found))
                return found;
        }
    }

    private static bool TryFindOffset(LogSegment[] segments, long timestampMs, long logStart, out long? found)
    {
        found = null;
        foreach (LogSegment segment in segments)
        {
            if (!segment.TryAcquire())
                return false;
            try
            {
                if (segment.SizeInBytes == 0 || segment.LargestTimestamp < timestampMs)
                    continue;
                found = segment.FindOffsetByTimestamp(timestampMs, logStart);
                if (found is not null)
                    return true;
            }
            finally
            {
                segment.Release();
            }
        }
        return true;
    }
}
