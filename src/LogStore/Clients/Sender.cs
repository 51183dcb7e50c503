using LogStore.Buffers;
using Microsoft.Extensions.Logging;

namespace LogStore.Clients;

/// <summary>
/// Kafka's Sender: the one background task of a producer. It seals batches whose linger has passed, builds each sealed
/// batch (compressing it as a whole), appends it to its partition, returns its buffer to the pool, makes it durable when
/// <see cref="Acks.All"/> and the topic's flush policy ask for it, and completes its deliveries.
/// </summary>
/// <remarks>
/// <para>It sleeps on a signal, woken by a sealed batch, a first open batch, a waiter for memory, a flush or the close,
/// and by one reusable timer from the broker's <see cref="TimeProvider"/> set for the oldest open batch's linger: it never
/// polls. Waking and sleeping allocate nothing.</para>
/// <para>Batches are appended one at a time in seal order, so a partition's records reach the log in the order they
/// were batched. Delivery callbacks run on this task, outside every lock (as Kafka runs them on its I/O thread): a slow
/// callback slows the producer, and one that throws is logged without stopping anything.</para>
/// </remarks>
internal sealed partial class Sender : IAsyncDisposable
{
    /// <summary>The shortest timer: a linger deadline a fraction of a millisecond away is not worth a busy wake.</summary>
    private static readonly TimeSpan MinimumTimer = TimeSpan.FromMilliseconds(1);

    private readonly Signal _signal = new();
    private readonly List<ProducerBatch> _batches = [];
    private readonly List<ProducerPartition> _toFlush = [];
    private readonly RecordAccumulator _accumulator;
    private readonly BufferPool _pool;
    private readonly TimeSpan _linger;
    private readonly bool _acksAll;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private ITimer? _timer;
    private Task _loop = Task.CompletedTask;

    public Sender(RecordAccumulator accumulator, BufferPool pool, ProducerOptions options, TimeProvider time, ILogger logger)
    {
        _time = time;
        _accumulator = accumulator;
        _pool = pool;
        _linger = options.Linger;
        _acksAll = options.Acks == Acks.All;
        _logger = logger;
    }

    /// <summary>Wakes the loop; cheap and lock-free, callable from any thread and under any lock.</summary>
    public void Wake() => _signal.Set();

    /// <summary>Starts the loop.</summary>
    public void Start()
    {
        _timer = _time.CreateTimer(static s => ((Signal)s!).Set(), _signal, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Completes once the accumulator is closed and drained and the loop has ended.</summary>
    public async ValueTask DisposeAsync()
    {
        _signal.Set();
        await _loop.ConfigureAwait(false);
        _timer?.Dispose();
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                bool closing = _accumulator.IsClosed;
                _accumulator.SealExpired(_linger, all: closing || _pool.HasWaiters);
                _accumulator.DrainSealed(_batches);
                if (_batches.Count > 0)
                {
                    await SendAsync().ConfigureAwait(false);
                    continue;
                }
                if (closing && !_accumulator.HasAppendsInProgress && _accumulator.IsDrained)
                    return;
            }
            catch (Exception e)
            {
                // A bug here must not strand every delivery: log, and go on with the next round.
                ProducerLog.SenderFailed(_logger, e);
                _batches.Clear();
            }

            ArmLingerTimer();
            await _signal.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sets the timer for the oldest open batch's linger, or wakes the loop at once when it has passed.</summary>
    private void ArmLingerTimer()
    {
        while (true)
        {
            long before = _time.GetTimestamp();
            if (_accumulator.LingerLeft(_linger) is not TimeSpan left)
                return;
            if (left <= TimeSpan.Zero)
            {
                _signal.Set();
                return;
            }
            _timer!.Change(left > MinimumTimer ? left : MinimumTimer, Timeout.InfiniteTimeSpan);

            // The due time is relative to when Change runs: if the clock moved since the linger was measured (a fake
            // clock jumps), the timer is late by that much, so measure and set it again.
            if (_time.GetElapsedTime(before) < MinimumTimer)
                return;
        }
    }

    /// <summary>Appends the drained batches in order, fsyncs where due, then delivers.</summary>
    private async ValueTask SendAsync()
    {
        List<ProducerBatch> batches = _batches;
        foreach (ProducerBatch batch in batches)
        {
            bool reusable = false;
            try
            {
                RecordBatch built = batch.Builder!.Build();
                reusable = _pool.KeepsPoolableFootprint(built);
                AppendResult result = await batch.Partition.Partition.AppendAsync(built).ConfigureAwait(false);
                batch.BaseOffset = result.BaseOffset;
                batch.LogAppendTime = result.LogAppendTime;
                if (_acksAll && batch.Partition.Topic.FlushOnAck && !batch.Partition.FlushPending)
                {
                    batch.Partition.FlushPending = true;
                    _toFlush.Add(batch.Partition);
                }
            }
            catch (Exception e)
            {
                batch.Error = e;
                reusable = false;
                ProducerLog.BatchFailed(_logger, batch.Builder!.RecordCount, batch.Partition.Id, e);
            }
            _pool.Deallocate(batch.TakeBuilder(), batch.Cost, reusable);
        }

        // One fsync per partition per round, however many of its batches the round appended.
        foreach (ProducerPartition partition in _toFlush)
        {
            try
            {
                await partition.Partition.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                partition.FlushError = e;
            }
        }

        foreach (ProducerBatch batch in batches)
        {
            if (batch.Error is null && batch.Partition.FlushError is { } flushError)
                batch.Error = flushError;
            batch.Deliver(_logger);
        }
        foreach (ProducerPartition partition in _toFlush)
        {
            partition.FlushPending = false;
            partition.FlushError = null;
        }
        _toFlush.Clear();

        int count = batches.Count;
        foreach (ProducerBatch batch in batches)
            _accumulator.Recycle(batch);
        batches.Clear();
        _accumulator.MarkDone(count);
    }
}
