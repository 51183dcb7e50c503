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

    private async ValueTask<ConsumedBatch?> ConsumeBatchSlowAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = EnterPoll(timeout);
        CancellationTokenSource? wait = null;
        try
        {
            while (true)
            {
                ThrowIfDisposed();
                cancellationToken.ThrowIfCancellationRequested();
                if (TryLendNow() is { } batch)
                    return batch;
                TimeSpan remaining = Remaining(timeout, started);
                if (remaining != Timeout.InfiniteTimeSpan && remaining <= TimeSpan.Zero)
                    return null;
                wait ??= CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
                await WaitForDataAsync(remaining, wait.Token, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            wait?.Dispose();
            ExitPoll();
        }
    }

    /// <summary>Does the pending group work, resolves unknown positions, and lends the next partition's records if
    /// one has any (end-of-partition events are not reported here).</summary>
    private ConsumedBatch? TryLendNow()
    {
        PreparePoll();
        while (true)
        {
            try
            {
                return _fetcher.TrySelectSlow(out Fetcher.PartitionState? state)
                    ? new ConsumedBatch(_fetcher, _fetcher.BeginLend(state))
                    : null;
            }
            catch (OffsetOutOfRangeException e) when (_fetcher.TryGet(e.TopicPartition, out Fetcher.PartitionState? state))
            {
                Reset(state, e.Offset);
            }
            catch (ObjectDisposedException) when (!IsBrokerDisposed() && FindDeletedTopic() is string topic)
            {
                throw new UnknownTopicException(topic);
            }
        }
    }
}
