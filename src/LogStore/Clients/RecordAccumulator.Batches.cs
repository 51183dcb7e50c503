namespace LogStore.Clients;

internal sealed partial class RecordAccumulator
{
    /// <summary>Batch objects kept for reuse; more than this (a burst of oversized records) are left to the GC.</summary>
    private const int MaxSpareBatches = 1024;

    private readonly Lock _openLock = new();
    private ProducerBatch? _oldestOpen;
    private ProducerBatch? _newestOpen;
    private int _openCount;

    private readonly Lock _sealedLock = new();
    private readonly Queue<ProducerBatch> _sealed = new();
    private readonly List<FlushWaiter> _flushWaiters = [];
    private long _sealedTotal;
    private long _doneTotal;

    private readonly Lock _sparesLock = new();
    private readonly Stack<ProducerBatch> _spareBatches = new();

    /// <summary>Whether no batch is open, sealed or being sent.</summary>
    public bool IsDrained
    {
        get
        {
            lock (_openLock)
            {
                if (_openCount > 0)
                    return false;
            }
            lock (_sealedLock)
                return _sealed.Count == 0 && _doneTotal == _sealedTotal;
        }
    }

    private ProducerBatch OpenLocked(ProducerPartition partition, RecordBatchBuilder builder, long cost)
    {
        ProducerBatch? batch = null;
        lock (_sparesLock)
            _spareBatches.TryPop(out batch);
        batch ??= new ProducerBatch();
        batch.Initialize(partition, builder, cost, _time.GetTimestamp());
        partition.Open = batch;
        bool first;
        lock (_openLock)
        {
            batch.OlderOpen = _newestOpen;
            batch.NewerOpen = null;
            if (_newestOpen is null)
                _oldestOpen = batch;
            else
                _newestOpen.NewerOpen = batch;
            _newestOpen = batch;
            first = _openCount++ == 0;
        }

        // The sender arms its linger timer for the oldest open batch; only a first one changes what it waits for.
        if (first)
            _wakeSender();
        return batch;
    }

    /// <summary>Seals <paramref name="batch"/>, the open batch of <paramref name="partition"/> (whose lock is held), and queues it.</summary>
    private void SealLocked(ProducerPartition partition, ProducerBatch batch)
    {
        batch.IsOpen = false;
        partition.Open = null;
        lock (_openLock)
        {
            if (batch.OlderOpen is null)
                _oldestOpen = batch.NewerOpen;
            else
                batch.OlderOpen.NewerOpen = batch.NewerOpen;
            if (batch.NewerOpen is null)
                _newestOpen = batch.OlderOpen;
            else
                batch.NewerOpen.OlderOpen = batch.OlderOpen;
            batch.OlderOpen = batch.NewerOpen = null;
            _openCount--;
        }
        lock (_sealedLock)
        {
            _sealed.Enqueue(batch);
            _sealedTotal++;
        }
        _wakeSender();
    }

    /// <summary>
    /// Seals the open batches whose linger has passed, oldest first. With <paramref name="all"/>, seals every batch open
    /// at the call (a flush, a close, or the pool running out: Kafka's "exhausted" makes every batch ready).
    /// </summary>
    public void SealExpired(TimeSpan linger, bool all)
    {
        int budget;
        lock (_openLock)
            budget = _openCount;

        // Batches opened during the sweep are newer than every one looked at, so the budget ends it.
        for (; budget > 0; budget--)
        {
            ProducerBatch batch;
            int generation;
            ProducerPartition partition;
            lock (_openLock)
            {
                if (_oldestOpen is null)
                    return;
                batch = _oldestOpen;
                generation = batch.Generation;
                partition = batch.Partition;
                if (!all && _time.GetElapsedTime(batch.CreatedTimestamp) < linger)
                    return;
            }
            lock (partition.Lock)
            {
                // Sealed (and maybe reused) between the two locks: the next oldest is looked at instead.
                if (batch.Generation == generation && batch.IsOpen && ReferenceEquals(partition.Open, batch))
                    SealLocked(partition, batch);
            }
        }
    }

    /// <summary>How long until the oldest open batch's linger passes (zero when it has), or null when none is open.</summary>
    public TimeSpan? LingerLeft(TimeSpan linger)
    {
        lock (_openLock)
        {
            if (_oldestOpen is null)
                return null;
            TimeSpan left = linger - _time.GetElapsedTime(_oldestOpen.CreatedTimestamp);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Moves every sealed batch, in seal order, to <paramref name="batches"/>.</summary>
    public void DrainSealed(List<ProducerBatch> batches)
    {
        lock (_sealedLock)
        {
            while (_sealed.TryDequeue(out ProducerBatch? batch))
                batches.Add(batch);
        }
    }

    /// <summary>Counts <paramref name="count"/> batches as finished and releases the flushes they complete.</summary>
    public void MarkDone(int count)
    {
        List<FlushWaiter>? done = null;
        lock (_sealedLock)
        {
            _doneTotal += count;
            for (int i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target <= _doneTotal)
                {
                    (done ??= []).Add(_flushWaiters[i]);
                    _flushWaiters.RemoveAt(i);
                }
            }
        }
        if (done is not null)
        {
            foreach (FlushWaiter waiter in done)
                waiter.Completion.TrySetResult();
        }
    }

    /// <summary>Keeps a delivered batch object for reuse.</summary>
    public void Recycle(ProducerBatch batch)
    {
        lock (_sparesLock)
        {
            if (_spareBatches.Count < MaxSpareBatches)
                _spareBatches.Push(batch);
        }
    }

    /// <summary>
    /// Seals every open batch and completes when every batch sealed so far has been appended and delivered: so
    /// everything produced before the call is in the log.
    /// </summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        SealExpired(TimeSpan.Zero, all: true);
        FlushWaiter waiter;
        lock (_sealedLock)
        {
            if (_doneTotal >= _sealedTotal)
                return ValueTask.CompletedTask;
            waiter = new FlushWaiter(_sealedTotal);
            _flushWaiters.Add(waiter);
        }
        _wakeSender();
        Task task = waiter.Completion.Task;
        return new ValueTask(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
    }

    private sealed class FlushWaiter(long target)
    {
        public long Target { get; } = target;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
