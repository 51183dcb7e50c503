namespace LogStore.Storage.Replication;

/// <summary>
/// What waits for the high watermark (Kafka's delayed produce and delayed fetch purgatories): an acks=All write waits
/// until it passes the write's last offset, a consumer's long poll until it passes the fetch offset. Writers' waits are
/// kept in offset order and completed in that order by whatever moves the high watermark; readers share one signal. A
/// single node never waits here: its high watermark is its log end, past every append before the append returns.
/// </summary>
internal sealed partial class PartitionReplica
{
    private readonly Lock _waitersLock = new();
    // Sorted by required offset; appends arrive in offset order, so an insertion is nearly always at the end.
    private readonly List<HighWatermarkWaiter> _waiters = [];
    private TaskCompletionSource? _highWatermarkMoved;

    /// <summary>How many acks=All writes wait for the high watermark (Kafka's produce purgatory size).</summary>
    public int WaitingWrites
    {
        get
        {
            lock (_waitersLock)
                return _waiters.Count;
        }
    }

    /// <summary>
    /// Completes once the high watermark reaches <paramref name="requiredOffset"/> (an acks=All write's last offset + 1).
    /// At once when it is there already (always, on a single node).
    /// </summary>
    /// <exception cref="NotLeaderException">This node stopped leading the partition before the high watermark got there.</exception>
    /// <exception cref="ReplicationTimeoutException">It did not get there within <paramref name="timeout"/> (on the broker's clock).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask WaitForHighWatermarkAsync(long requiredOffset, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (HighWatermark >= requiredOffset)
            return default;
        if (_role != ReplicaRole.Leader)
            return ValueTask.FromException(NotLeader());
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        return WaitForHighWatermarkSlowAsync(requiredOffset, timeout, cancellationToken);
    }

    private async ValueTask WaitForHighWatermarkSlowAsync(long requiredOffset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new HighWatermarkWaiter(this, requiredOffset);
        Register(waiter);
        waiter.Arm(Log.Time, timeout, cancellationToken);
        switch (await waiter.Task.ConfigureAwait(false))
        {
            case HighWatermarkWaiter.Outcome.Reached:
                return;
            case HighWatermarkWaiter.Outcome.NotLeader:
                throw NotLeader();
            default:
                throw new ReplicationTimeoutException(Id, requiredOffset, HighWatermark, timeout);
        }
    }

    /// <summary>Inserts in offset order, then looks again at what may have changed since the caller did.</summary>
    private void Register(HighWatermarkWaiter waiter)
    {
        lock (_waitersLock)
        {
            int i = _waiters.Count;
            while (i > 0 && _waiters[i - 1].RequiredOffset > waiter.RequiredOffset)
                i--;
            _waiters.Insert(i, waiter);
        }
        // The high watermark or the role may have moved between the caller's check and the insertion, unseen by the mover.
        CompleteWaiters();
    }

    private void Unregister(HighWatermarkWaiter waiter)
    {
        lock (_waitersLock)
            _waiters.Remove(waiter);
    }

    /// <summary>Completes, in offset order, the writers' waits the high watermark has reached, or all of them with
    /// NotLeader when this node no longer leads; wakes readers. Costs a read of two fields when nobody waits.</summary>
    private void CompleteWaiters()
    {
        // Pairs with Register's look after its insertion: one of the two sees the other's write.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _highWatermarkMoved) is { } moved)
        {
            lock (_waitersLock)
            {
                if (ReferenceEquals(_highWatermarkMoved, moved))
                    _highWatermarkMoved = null;
            }
            moved.TrySetResult();
        }
        if (_waiters.Count == 0)
            return;
        bool leading = _role == ReplicaRole.Leader;
        long highWatermark = HighWatermark;
        lock (_waitersLock)
        {
            int done = 0;
            while (done < _waiters.Count && (!leading || _waiters[done].RequiredOffset <= highWatermark))
            {
                // Continuations run asynchronously, so completing under the lock runs no caller code here.
                _waiters[done].TryComplete(leading ? HighWatermarkWaiter.Outcome.Reached : HighWatermarkWaiter.Outcome.NotLeader);
                done++;
            }
            _waiters.RemoveRange(0, done);
        }
    }

    /// <summary>After a role or ISR change: waits end as the new state says.</summary>
    private void OnReplicationStateChanged() => CompleteWaiters();

    /// <summary>A task that completes at the next high watermark move or role change.</summary>
    private Task HighWatermarkSignal()
    {
        lock (_waitersLock)
        {
            _highWatermarkMoved ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _highWatermarkMoved.Task;
        }
    }

    /// <summary>A consumer's long poll with followers: until the high watermark passes <paramref name="offset"/>, the
    /// replica becomes sole (then the log's own wait), or <paramref name="maxWait"/> ends.</summary>
    private async ValueTask<FetchResult> WaitAndReadCommittedAsync(long offset, int maxBytes, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        long started = Log.Time.GetTimestamp();
        while (true)
        {
            Task moved = HighWatermarkSignal();
            TimeSpan remaining = maxWait - Log.Time.GetElapsedTime(started);
            if (_sole)
                return await Log.ReadAsync(offset, maxBytes, remaining, cancellationToken).ConfigureAwait(false);
            if (HighWatermark > offset || remaining <= TimeSpan.Zero)
                return ReadCommitted(offset, maxBytes);
            try
            {
                await moved.WaitAsync(remaining, Log.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return ReadCommitted(offset, maxBytes);
            }
        }
    }

    /// <summary>One writer's wait: completed once, by the high watermark, the role, its timer or its cancellation.</summary>
    private sealed class HighWatermarkWaiter(PartitionReplica replica, long requiredOffset)
        : TaskCompletionSource<HighWatermarkWaiter.Outcome>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public enum Outcome
        {
            Reached,
            NotLeader,
            TimedOut,
        }

        private ITimer? _timer;
        private CancellationTokenRegistration _cancellation;

        public long RequiredOffset { get; } = requiredOffset;

        /// <summary>Starts the timer and the cancellation after registration (either may complete it at once).</summary>
        public void Arm(TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            {
                // Nothing left of the request's time: it expires now, as Kafka's delayed produce of timeout 0 does.
                Expire();
                return;
            }
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                ITimer timer = time.CreateTimer(static s => ((HighWatermarkWaiter)s!).Expire(), this, timeout, Timeout.InfiniteTimeSpan);
                if (Interlocked.CompareExchange(ref _timer, timer, null) is not null || Task.IsCompleted)
                    timer.Dispose();
            }
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.Register(static s => ((HighWatermarkWaiter)s!).Cancel(), this);
                if (Task.IsCompleted)
                    _cancellation.Unregister();
            }
        }

        public void TryComplete(Outcome outcome)
        {
            if (TrySetResult(outcome))
                Release();
        }

        private void Expire()
        {
            replica.Unregister(this);
            TryComplete(Outcome.TimedOut);
        }

        private void Cancel()
        {
            replica.Unregister(this);
            if (TrySetCanceled())
                Release();
        }

        private void Release()
        {
            Interlocked.Exchange(ref _timer, TimeoutSentinel.Instance)?.Dispose();
            _cancellation.Unregister();
        }
    }

    /// <summary>Marks a waiter's timer slot as finished, so that a timer armed after completion is disposed at once.</summary>
    private sealed class TimeoutSentinel : ITimer
    {
        public static readonly TimeoutSentinel Instance = new();

        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => default;
    }
}
