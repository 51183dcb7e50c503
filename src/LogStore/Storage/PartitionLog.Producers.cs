using LogStore.Storage.Producers;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    // How many of the last segments the producer state is rebuilt from: a retry lands right after its first attempt.
    private const int ProducerStateSegments = 2;

    private readonly ProducerStateManager _producerState = new();

    /// <summary>
    /// Appends a batch of an idempotent producer (one with a producer id): a retry of a batch already appended gets the
    /// first attempt's offsets and is not appended again; a gap in its sequences or a fenced epoch is refused.
    /// </summary>
    private AppendResult AppendIdempotent(RecordBatch batch)
    {
        ThrowIfReadOnly();
        lock (_writeLock)
        {
            ThrowIfClosed();
            if (!_producerState.IsLoaded)
                _producerState.Load(ScanProducerBatches());
            if (_producerState.Check(Id, batch) is { } duplicate)
                return new AppendResult(duplicate.BaseOffset, duplicate.LastOffset, null, _logStartOffset);
            AppendResult result = default;
            // The write lock is reentrant: the append below runs under the same hold, so no other batch comes between.
            Append(new ReadOnlySpan<RecordBatch>(in batch), builtMinTimestamps: default, new Span<AppendResult>(ref result), out LogStoreException? error);
            if (error is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            _producerState.OnAppended(batch, result.BaseOffset);
            return result;
        }
    }

    /// <summary>The idempotent producers' batches of the last segments, in log order.</summary>
    private IEnumerable<(long, short, int, int, long, long)> ScanProducerBatches()
    {
        LogSegment[] segments = _segments.Snapshot;
        var found = new List<(long, short, int, int, long, long)>();
        for (int i = Math.Max(0, segments.Length - ProducerStateSegments); i < segments.Length; i++)
        {
            using var scanner = new BatchScanner(segments[i].Log, 0, segments[i].SizeInBytes, verifyCrc: false);
            while (scanner.MoveNext())
            {
                RecordBatch batch = scanner.Current;
                if (batch.ProducerId < 0)
                    continue;
                found.Add((batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, ProducerStateManager.LastSequence(batch), batch.BaseOffset, batch.LastOffset));
            }
        }
        return found;
    }
}
