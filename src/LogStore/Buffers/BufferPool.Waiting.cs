namespace LogStore.Buffers;

internal sealed partial class BufferPool
{
    /// <summary>The calling thread's waiter for blocking allocations, reused so that waiting allocates nothing.</summary>
    [ThreadStatic]
    private static BlockingWaiter? t_blockingWaiter;

    private Task<(RecordBatchBuilder Builder, long Cost)> WaitAsync(int capacity, long cost, CancellationToken cancellationToken)
    {
        var waiter = new AsyncWaiter(this, capacity, cost);
        long startedAt = _time.GetTimestamp();
        if (TryEnqueue(waiter, out RecordBatchBuilder? builder))
            return Task.FromResult((builder!, cost));
        _onWaiting?.Invoke();
        waiter.Start(_time, RemainingBlock(startedAt), cancellationToken);
        return waiter.Task;
    }

    private (RecordBatchBuilder Builder, long Cost) WaitBlocking(int capacity, long cost)
    {
        BlockingWaiter waiter = t_blockingWaiter ??= new BlockingWaiter();

        // Armed before the waiter is visible in the queue, so that whoever sees it waiting (and moves a fake clock)
        // finds the timer set; a firing before it is queued is caught by the check after.
        waiter.Prepare(this, capacity, cost, _time);
        if (TryEnqueue(waiter, out RecordBatchBuilder? builder))
        {
            waiter.Disarm();
            return (builder!, cost);
        }
        _onWaiting?.Invoke();
        if (RemainingBlock(waiter.StartedAt) == TimeSpan.Zero && TryRemove(waiter))
            waiter.Fail(new BufferExhaustedException(cost, TotalMemory, MaxBlock));
        return (waiter.Wait(), cost);
    }

    /// <summary>What is left of MaxBlock since <paramref name="startedAt"/>: infinite, or at least zero.</summary>
    private TimeSpan RemainingBlock(long startedAt)
    {
        if (MaxBlock == Timeout.InfiniteTimeSpan)
            return MaxBlock;
        TimeSpan left = MaxBlock - _time.GetElapsedTime(startedAt);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// Queues <paramref name="waiter"/>, unless memory came back since the fast path looked and nobody is queued ahead:
    /// then returns true with the builder.
    /// </summary>
    private bool TryEnqueue(Waiter waiter, out RecordBatchBuilder? builder)
    {
        builder = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_waiters.Count == 0)
            {
                if (waiter.Cost == PoolableCost && _free.TryPop(out builder))
                    return true;
                if (TryReserve(waiter.Cost))
                {
                    builder = Create(waiter.Capacity);
                    return true;
                }
            }
            _waiters.AddLast(waiter.Node);
            Volatile.Write(ref _waiterCount, _waiters.Count);
            return false;
        }
    }

    /// <summary>Unlinks the waiters, oldest first, that the free memory now satisfies; they are completed outside the lock.</summary>
    private Waiter? TakeSatisfiedWaitersLocked()
    {
        Waiter? first = null;
        Waiter? last = null;
        while (_waiters.First is { } node)
        {
            Waiter waiter = node.Value;
            if (waiter.Cost == PoolableCost && _free.TryPop(out RecordBatchBuilder? cached))
                waiter.Builder = cached;
            else if (!TryReserve(waiter.Cost))
                break;
            _waiters.RemoveFirst();
            if (last is null)
                first = waiter;
            else
                last.Next = waiter;
            last = waiter;
        }
        Volatile.Write(ref _waiterCount, _waiters.Count);
        return first;
    }

    private void CompleteServed(Waiter? served)
    {
        while (served is not null)
        {
            Waiter? next = served.Next;
            served.Next = null;
            RecordBatchBuilder builder = served.Builder ?? Create(served.Capacity);
            served.Builder = null;
            served.Succeed(builder);
            served = next;
        }
    }

    /// <summary>Removes a waiter that timed out or was cancelled; false when it was served meanwhile.</summary>
    private bool TryRemove(Waiter waiter)
    {
        Waiter? served;
        lock (_lock)
        {
            if (waiter.Node.List is null)
                return false;
            _waiters.Remove(waiter.Node);

            // The waiter at the head may have kept smaller ones behind it waiting that now fit.
            served = TakeSatisfiedWaitersLocked();
        }
        CompleteServed(served);
        return true;
    }

    /// <summary>One caller waiting for memory: served by <see cref="Deallocate"/>, or failed by its timer, token or the dispose.</summary>
    private abstract class Waiter
    {
        protected Waiter() => Node = new LinkedListNode<Waiter>(this);

        public int Capacity { get; protected set; }

        public long Cost { get; protected set; }

        /// <summary>Its place in the queue; in the queue while <c>Node.List</c> is set.</summary>
        public LinkedListNode<Waiter> Node { get; }

        /// <summary>Links the waiters served together.</summary>
        public Waiter? Next { get; set; }

        /// <summary>A cached builder picked for it under the lock.</summary>
        public RecordBatchBuilder? Builder { get; set; }

        public abstract void Succeed(RecordBatchBuilder builder);

        public abstract void Fail(Exception error);
    }

    /// <summary>A <see cref="AllocateAsync"/> caller: a task, a TimeProvider timer for MaxBlock, and a token registration.</summary>
    private sealed class AsyncWaiter : Waiter
    {
        private readonly BufferPool _pool;
        private readonly TaskCompletionSource<(RecordBatchBuilder, long)> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private ITimer? _timer;
        private CancellationTokenRegistration _registration;

        public AsyncWaiter(BufferPool pool, int capacity, long cost)
        {
            _pool = pool;
            Capacity = capacity;
            Cost = cost;
        }

        public Task<(RecordBatchBuilder, long)> Task => _completion.Task;

        public void Start(TimeProvider time, TimeSpan maxBlock, CancellationToken cancellationToken)
        {
            if (maxBlock != Timeout.InfiniteTimeSpan)
                _timer = time.CreateTimer(static s => ((AsyncWaiter)s!).OnTimeout(), this, maxBlock, Timeout.InfiniteTimeSpan);
            if (cancellationToken.CanBeCanceled)
                _registration = cancellationToken.UnsafeRegister(static (s, token) => ((AsyncWaiter)s!).OnCancelled(token), this);

            // Served between joining the queue and arming the timer: nothing left to time out.
            if (_completion.Task.IsCompleted)
                Cleanup();
        }

        public override void Succeed(RecordBatchBuilder builder)
        {
            Cleanup();
            _completion.TrySetResult((builder, Cost));
        }

        public override void Fail(Exception error)
        {
            Cleanup();
            _completion.TrySetException(error);
        }

        private void OnTimeout()
        {
            if (_pool.TryRemove(this))
                Fail(new BufferExhaustedException(Cost, _pool.TotalMemory, _pool.MaxBlock));
        }

        private void OnCancelled(CancellationToken token)
        {
            if (_pool.TryRemove(this))
            {
                Cleanup();
                _completion.TrySetCanceled(token);
            }
        }

        private void Cleanup()
        {
            _timer?.Dispose();
            _registration.Dispose();
        }
    }

    /// <summary>
    /// An <see cref="Allocate"/> caller blocking its thread: one per thread, reused, with its own event and its own
    /// TimeProvider timer re-armed for each wait, so that blocking allocates nothing.
    /// </summary>
    private sealed class BlockingWaiter : Waiter
    {
        private readonly ManualResetEventSlim _signal = new(false);
        private BufferPool? _pool;
        private ITimer? _timer;
        private TimeProvider? _timerClock;
        private RecordBatchBuilder? _result;
        private Exception? _error;

        public long StartedAt { get; private set; }

        /// <summary>Starts a wait: resets the outcome and arms the MaxBlock timer.</summary>
        public void Prepare(BufferPool pool, int capacity, long cost, TimeProvider time)
        {
            _pool = pool;
            Capacity = capacity;
            Cost = cost;
            _result = null;
            _error = null;
            _signal.Reset();
            StartedAt = time.GetTimestamp();
            if (pool.MaxBlock == Timeout.InfiniteTimeSpan)
                return;
            if (!ReferenceEquals(_timerClock, time))
            {
                _timer?.Dispose();
                _timer = time.CreateTimer(static s => ((BlockingWaiter)s!).OnTimeout(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timerClock = time;
            }
            _timer!.Change(pool.MaxBlock, Timeout.InfiniteTimeSpan);
        }

        public void Disarm()
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _pool = null;
        }

        /// <summary>Blocks until served or failed.</summary>
        public RecordBatchBuilder Wait()
        {
            _signal.Wait();
            Disarm();
            if (_error is not null)
                throw _error;
            return _result!;
        }

        public override void Succeed(RecordBatchBuilder builder)
        {
            _result = builder;
            _signal.Set();
        }

        public override void Fail(Exception error)
        {
            _error = error;
            _signal.Set();
        }

        private void OnTimeout()
        {
            // A firing left over from an earlier wait of this reused waiter finds a wait that started since: ignored.
            BufferPool? pool = _pool;
            if (pool is null || _timerClock!.GetElapsedTime(StartedAt) < pool.MaxBlock)
                return;
            if (pool.TryRemove(this))
                Fail(new BufferExhaustedException(Cost, pool.TotalMemory, pool.MaxBlock));
        }
    }
}
