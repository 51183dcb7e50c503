namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    private readonly Lock _waitersLock = new();
    private TaskCompletionSource? _appended;

    /// <summary>Whole batches from the one holding <paramref name="offset"/>; empty when the offset is the log end.</summary>
    public FetchResult Read(long offset, int maxBytes)
    {
        ThrowIfClosed();
        long logEnd = LogEndOffset;
        long logStart = LogStartOffset;
        if (offset < logStart || offset > logEnd)
            throw new OffsetOutOfRangeException(Id, offset, logStart, logEnd);
        if (offset == logEnd)
            return FetchResult.Empty(Id, logEnd, logStart);

        LogSegment[] segments = _segments.Snapshot;
        for (int i = Math.Max(0, LogSegments.FloorIndex(segments, offset)); i < segments.Length; i++)
        {
            FetchResult? result = segments[i].Read(Id, offset, maxBytes, logEnd, logStart);
            if (result is not null)
                return result;
        }
        return FetchResult.Empty(Id, logEnd, logStart);
    }

    /// <summary>Like <see cref="Read"/>, but when nothing is there yet waits up to <paramref name="maxWait"/> for an
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
                await appended.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
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
        long logStart = LogStartOffset;
        foreach (LogSegment segment in _segments.Snapshot)
        {
            if (segment.SizeInBytes == 0 || segment.LargestTimestamp < timestampMs)
                continue;
            long? found = segment.FindOffsetByTimestamp(timestampMs, logStart);
            if (found is not null)
                return found;
        }
        return null;
    }
}
