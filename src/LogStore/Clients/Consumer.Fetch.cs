using System.Runtime.CompilerServices;
using LogStore.Clients.Groups;
using LogStore.Diagnostics;

namespace LogStore.Clients;

internal sealed partial class Consumer<TKey, TValue>
{
    // DateTimeOffset's range in Unix milliseconds: a record timestamp outside it (Kafka's -1 is inside) has none.
    private const long MinTimestampMs = -62_135_596_800_000;
    private const long MaxTimestampMs = 253_402_300_799_999;

    /// <summary>
    /// Returns the next record, waiting up to <paramref name="timeout"/> (or <see cref="Timeout.InfiniteTimeSpan"/>)
    /// for one; null when none came. Completes synchronously when a record is buffered and nothing is pending.
    /// Group work (revoke, assign, auto-commit) runs here first, on the caller's thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing is assigned and the consumer is not subscribed.</exception>
    /// <exception cref="OffsetOutOfRangeException">A position is out of range and <see cref="AutoOffsetReset.Error"/> applies.</exception>
    /// <exception cref="CorruptRecordException">The next record is damaged; the position stays before it (Seek past it to go on).</exception>
    /// <exception cref="UnknownTopicException">An assigned partition's topic was deleted.</exception>
    public ValueTask<ConsumeResult<TKey, TValue>?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryConsumeBuffered(cancellationToken) is { } result
            ? new ValueTask<ConsumeResult<TKey, TValue>?>(result)
            : ConsumeSlowAsync(timeout, cancellationToken);

    /// <summary>
    /// The hot path of <see cref="ConsumeAsync"/> and <see cref="ConsumeAllAsync"/>: the next record of the partition
    /// being drained when one is buffered and no group work is pending, else null (the caller takes the slow path).
    /// </summary>
    // No exception handler here: one made the JIT keep the decoded record on the stack, 11 % of the consumer's
    // throughput (benchmarks/RESULTS.md, "Consumer hot path rework"). A deserializer's exception on this path is thrown
    // by the call itself rather than stored in the returned ValueTask; awaiting it sees the same exception either way.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ConsumeResult<TKey, TValue>? TryConsumeBuffered(CancellationToken cancellationToken)
    {
        PollSignal signal = _signal;
        signal.PollCount++;
        return signal.Pending == 0 && !cancellationToken.IsCancellationRequested && _fetcher.TryNext(out Fetcher.PartitionState? state, out Record record)
            ? CreateResult(state, in record)
            : null;
    }

    private ValueTask<ConsumeResult<TKey, TValue>?> ConsumeSlowAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        PollSlowAsync<ConsumeResult<TKey, TValue>?, TakeRecord>(timeout, cancellationToken);

    /// <summary>What one turn of a slow-path poll takes once the group work is done (<see cref="TakeNow"/>): a record
    /// or an end-of-partition event for ConsumeAsync, a lent batch for ConsumeBatchAsync; false when nothing is there.
    /// A struct type argument, so that the shared poll loop makes no delegate call.</summary>
    private interface IPollTake<TResult>
    {
        static abstract bool TryTake(Consumer<TKey, TValue> consumer, out TResult result);
    }

    private readonly struct TakeRecord : IPollTake<ConsumeResult<TKey, TValue>?>
    {
        public static bool TryTake(Consumer<TKey, TValue> consumer, out ConsumeResult<TKey, TValue>? result)
        {
            if (consumer._fetcher.TryNextSlow(out Fetcher.PartitionState? state, out Record record))
            {
                result = consumer.CreateResult(state, in record);
                return true;
            }
            result = consumer._options.EnablePartitionEof ? consumer.NextEndOfPartition() : null;
            return result is not null;
        }
    }

    /// <summary>The slow path of both consume forms: takes what is there, else waits for data or group work, until
    /// the timeout; null when nothing came.</summary>
    private async ValueTask<TResult> PollSlowAsync<TResult, TTake>(TimeSpan timeout, CancellationToken cancellationToken)
        where TTake : struct, IPollTake<TResult>
    {
        long started = EnterPoll(timeout);
        // Made when the poll first has to wait: most slow-path polls (a partition's turn is over, a fetch ran out)
        // find a record at once, and linking two tokens costs two callback registrations.
        CancellationTokenSource? wait = null;
        try
        {
            while (true)
            {
                ThrowIfDisposed();
                cancellationToken.ThrowIfCancellationRequested();
                if (TakeNow<TResult, TTake>(out TResult taken))
                    return taken;
                TimeSpan remaining = Remaining(timeout, started);
                if (remaining != Timeout.InfiniteTimeSpan && remaining <= TimeSpan.Zero)
                    return default!;
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

    /// <summary>Checks a poll's timeout and marks the consumer as polling (for its group's liveness and for
    /// DisposeAsync, which waits for polls to leave); returns the start time.</summary>
    private long EnterPoll(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout is zero or more, or Timeout.InfiniteTimeSpan.");
        Interlocked.Increment(ref _activePolls);
        _signal.InPoll = true;
        return _time.GetTimestamp();
    }

    private void ExitPoll()
    {
        _signal.InPoll = false;
        _signal.PollCount++;
        if (Interlocked.Decrement(ref _activePolls) == 0)
            Volatile.Read(ref _pollsDrained)?.TrySetResult();
    }

    private TimeSpan Remaining(TimeSpan timeout, long started) =>
        timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - _time.GetElapsedTime(started);

    /// <summary>Long-polls the partitions (and the group's signal) for up to <paramref name="remaining"/>.</summary>
    private async ValueTask WaitForDataAsync(TimeSpan remaining, CancellationToken wait, CancellationToken cancellationToken)
    {
        try
        {
            await _fetcher.WaitForDataAsync(remaining, _signal.WaitAsync(), wait).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Only disposal cancels the wait otherwise: report that, whichever step of the wait it reached.
            ThrowIfDisposed();
            throw;
        }
    }

    /// <summary>Does the pending group work, resolves unknown positions, and takes what is there (see
    /// <see cref="IPollTake{TResult}"/>): a position out of range is reset by the reset policy and tried again.</summary>
    private bool TakeNow<TResult, TTake>(out TResult result)
        where TTake : struct, IPollTake<TResult>
    {
        PreparePoll();
        while (true)
        {
            try
            {
                return TTake.TryTake(this, out result);
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

    /// <summary>The start of every slow-path poll: the pending group work, then the positions not known yet.</summary>
    private void PreparePoll()
    {
        HandleSignals();
        if (_mode == AssignmentMode.None)
        {
            throw new InvalidOperationException(
                "This consumer has no partitions: call Assign, or Subscribe with a GroupId, before consuming.");
        }
        // Indexed: a foreach over the IReadOnlyList would box an enumerator on every slow-path poll (one per turn of a
        // partition, so once per batch of the lending consumer).
        IReadOnlyList<Fetcher.PartitionState> partitions = _fetcher.Partitions;
        for (int i = 0; i < partitions.Count; i++)
        {
            if (partitions[i].Position == Fetcher.UnknownPosition)
                ResolvePosition(partitions[i]);
        }
    }

    /// <summary>The end-of-partition event of the first partition that has nothing more to return and whose end was not
    /// reported at this position yet; null when there is none.</summary>
    private ConsumeResult<TKey, TValue>? NextEndOfPartition()
    {
        foreach (Fetcher.PartitionState state in _fetcher.Partitions)
        {
            long position = state.Position;
            if (position != Fetcher.UnknownPosition && !state.Paused && position != state.EofReportedAt
                && position >= state.Partition.HighWatermark)
            {
                state.EofReportedAt = position;
                return new ConsumeResult<TKey, TValue>(state.Partition, position);
            }
        }
        return null;
    }

    /// <summary>Builds the message of <paramref name="record"/>: key and value through the deserializers, headers
    /// copied when there are any, timestamp converted. The position has already moved past the record, so a
    /// deserializer that throws does not block the partition; its exception arrives as a
    /// <see cref="ConsumeException"/> naming the record.</summary>
    private ConsumeResult<TKey, TValue> CreateResult(Fetcher.PartitionState state, in Record record)
    {
        var message = new Message<TKey, TValue>();
        if (!_keyIsNull) // a new Message's key is already null; storing it again would cost a write barrier
        {
            message.Key = _keyIsShared ? Shared<TKey>(state, record.Key)
                : _keyNeverThrows ? _keyDeserializer.Deserialize(record.Key, record.IsKeyNull)
                : Guarded(_keyDeserializer, state, in record, isKey: true);
        }
        message.Value = _valueIsShared ? Shared<TValue>(state, record.Value)
            : _valueNeverThrows ? _valueDeserializer.Deserialize(record.Value, record.IsValueNull)
            : Guarded(_valueDeserializer, state, in record, isKey: false);
        long timestamp = record.Timestamp;
        if (timestamp is >= MinTimestampMs and <= MaxTimestampMs)
            message.SetUnixTimestamp(timestamp);
        if (record.HeaderCount > 0)
            message.Headers = CopyHeaders(in record);
        if (LogStoreTracing.IsEnabled)
            LogStoreTracing.Received(state.Id, record.Offset, _options.GroupId);
        return new ConsumeResult<TKey, TValue>(state.Partition, record.Offset, message);
    }

    /// <summary>A deserializer call that may throw, kept out of <see cref="CreateResult"/>: a handler there slows the
    /// hot path of the built-in deserializers, which cannot throw.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Guarded<T>(IDeserializer<T> deserializer, Fetcher.PartitionState state, in Record record, bool isKey)
    {
        try
        {
            return isKey ? deserializer.Deserialize(record.Key, record.IsKeyNull) : deserializer.Deserialize(record.Value, record.IsValueNull);
        }
        catch (Exception e)
        {
            throw new ConsumeException(new TopicPartitionOffset(state.Id, record.Offset), isKey, e);
        }
    }

    /// <summary>A view of a key's or value's bytes as <typeparamref name="T"/>, which is <see cref="ReadOnlyMemory{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Shared<T>(Fetcher.PartitionState state, ReadOnlySpan<byte> bytes)
    {
        ReadOnlyMemory<byte> memory = state.Fetch!.Share(bytes);
        return Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
    }

    private static Headers CopyHeaders(in Record record)
    {
        var headers = new Headers();
        foreach (RecordHeader header in record.Headers)
            headers.Add(header.GetKeyString(), header.IsValueNull ? null : header.Value.ToArray());
        return headers;
    }

    /// <summary>Sets an unknown position: the log start or end when asked for, else the committed offset when valid,
    /// else the reset policy.</summary>
    private void ResolvePosition(Fetcher.PartitionState state)
    {
        Partition partition = state.Partition;
        switch (state.Rule)
        {
            case PositionRule.Earliest:
                _fetcher.Seek(state, partition.LogStartOffset, PositionRule.Committed);
                return;
            case PositionRule.Latest:
                _fetcher.Seek(state, partition.LogEndOffset, PositionRule.Committed);
                return;
        }
        long? committed = _options.GroupId is { } group ? GroupCoordinator.For(_broker).GetCommitted(group, state.Id) : null;
        if (committed is long offset && offset >= partition.LogStartOffset && offset <= partition.LogEndOffset)
        {
            _fetcher.Seek(state, offset, PositionRule.Committed);
            state.LastCommitted = offset;
            return;
        }
        Reset(state, committed ?? -1);
    }

    /// <summary>Applies <see cref="ConsumerOptions.AutoOffsetReset"/> to a partition whose offset
    /// <paramref name="requested"/> (-1: none) is missing or out of range.</summary>
    private void Reset(Fetcher.PartitionState state, long requested)
    {
        Partition partition = state.Partition;
        long offset;
        switch (_options.AutoOffsetReset)
        {
            case AutoOffsetReset.Earliest:
                offset = partition.LogStartOffset;
                break;
            case AutoOffsetReset.Latest:
                offset = partition.LogEndOffset;
                break;
            default:
                throw new OffsetOutOfRangeException(state.Id, requested, partition.LogStartOffset, partition.LogEndOffset);
        }
        // A new group starting on a partition is routine; a committed offset that fell out of the log is worth a word.
        if (requested == -1)
            GroupLog.StartedWithoutCommit(_broker.Logger, state.Id, offset, _options.AutoOffsetReset);
        else
            GroupLog.OffsetReset(_broker.Logger, state.Id, offset, _options.AutoOffsetReset, requested);
        _fetcher.Seek(state, offset, PositionRule.Committed);
    }

    private string? FindDeletedTopic()
    {
        foreach (Fetcher.PartitionState state in _fetcher.Partitions)
        {
            if (!_broker.TryGetTopic(state.Id.Topic, out Topic? topic) || topic.Partitions[state.Id.Partition] != state.Partition)
                return state.Id.Topic;
        }
        return null;
    }
}
