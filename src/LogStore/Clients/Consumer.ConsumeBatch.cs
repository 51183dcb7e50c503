using LogStore.Clients.Groups;

namespace LogStore.Clients;

/// <summary>The lending consumer: records as spans into the fetched buffers, a batch at a time (see
/// <see cref="ConsumedBatch"/> for the contract).</summary>
internal sealed partial class Consumer<TKey, TValue>
{
    /// <summary>
    /// Lends the next records of one partition, waiting up to <paramref name="timeout"/> (or
    /// <see cref="Timeout.InfiniteTimeSpan"/>) for one; null when none came. Ends the batch lent before. Completes
    /// synchronously when a record is buffered and nothing is pending; group work (revoke, assign, auto-commit) runs
    /// here first, on the caller's thread, as in ConsumeAsync.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing is assigned and the consumer is not subscribed.</exception>
    /// <exception cref="OffsetOutOfRangeException">A position is out of range and <see cref="AutoOffsetReset.Error"/> applies.</exception>
    /// <exception cref="CorruptRecordException">The next batch is damaged; the position stays before it (Seek past it to go on).</exception>
    /// <exception cref="UnknownTopicException">An assigned partition's topic was deleted.</exception>
    public ValueTask<ConsumedBatch?> ConsumeBatchAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Fetcher fetcher = _fetcher;
        fetcher.EndLend();
        PollSignal signal = _signal;
        signal.PollCount++;
        return signal.Pending == 0 && !cancellationToken.IsCancellationRequested && fetcher.TryLendBuffered(out int version)
            ? new ValueTask<ConsumedBatch?>(new ConsumedBatch(fetcher, version))
            : ConsumeBatchSlowAsync(timeout, cancellationToken);
    }

    private ValueTask<ConsumedBatch?> ConsumeBatchSlowAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        PollSlowAsync<ConsumedBatch?, TakeBatch>(timeout, cancellationToken);

    /// <summary>Lends the next partition's records if one has any (end-of-partition events are not reported here).</summary>
    private readonly struct TakeBatch : IPollTake<ConsumedBatch?>
    {
        public static bool TryTake(Consumer<TKey, TValue> consumer, out ConsumedBatch? result)
        {
            result = consumer._fetcher.TrySelectSlow(out Fetcher.PartitionState? state)
                ? new ConsumedBatch(consumer._fetcher, consumer._fetcher.BeginLend(state))
                : null;
            return result is not null;
        }
    }
}
