using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LogStore.Buffers;
using LogStore.Records;
using LogStore.Storage.Producers;
using Microsoft.Extensions.Logging;

namespace LogStore.Clients;

/// <summary>
/// Kafka's Sender: the one background task of a producer. It seals batches whose linger has passed, builds each sealed
/// batch (compressing it as a whole), appends it to its partition, returns its buffer to the pool, makes it durable when
/// <see cref="Acks.All"/> and the topic's flush policy ask for it, waits with <see cref="Acks.All"/> for the in-sync
/// replicas to hold it (the high watermark; at once on a single node) while it appends the next rounds, and completes
/// its deliveries in order.
/// </summary>
/// <remarks>
/// <para>It sleeps on a signal, woken by a sealed batch, a first open batch, a waiter for memory, a flush or the close,
/// and by one reusable timer from the broker's <see cref="TimeProvider"/> set for the oldest open batch's linger: it never
/// polls. Waking and sleeping allocate nothing.</para>
/// <para>Batches are built and appended in seal order, so a partition's records reach the log in the order they were
/// batched, and an idempotent producer's sequences (stamped at the build) follow that order (see Sender.Idempotence.cs).
/// A failed append is not retried; in a cluster, an idempotent producer's batches that a leadership move leaves
/// uncommitted go to the new leader (Sender.Forwarding.cs). Delivery callbacks run on this task, outside every lock (as
/// Kafka runs them on its I/O thread): a slow callback slows the producer, and one that throws is logged without
/// stopping anything.</para>
/// </remarks>
internal sealed partial class Sender : IAsyncDisposable
{
    /// <summary>The shortest timer: a linger deadline a fraction of a millisecond away is not worth a busy wake.</summary>
    private static readonly TimeSpan MinimumTimer = TimeSpan.FromMilliseconds(1);

    // One append call (one gathered write) takes at most this much: enough to amortise the system call and let the
    // kernel use large page-cache folios, well under the 1,024 buffers a pwritev accepts.
    private const int MaxChunkBatches = 256;
    private const long MaxChunkBytes = 1 << 20;

    private readonly Signal _signal = new();
    // The drained batches of the next round; a round takes the list and leaves a spare one (Sender.Rounds.cs).
    private List<ProducerBatch> _batches = [];
    private readonly List<ProducerPartition> _toFlush = [];
    private readonly List<ProducerPartition> _toReplicate = [];
    private readonly List<ProducerPartition> _partitions = [];
    private readonly List<ProducerBatch> _chunk = [];
    private readonly List<RecordBatch> _built = [];
    private readonly AppendResult[] _results = new AppendResult[MaxChunkBatches];
    private readonly long[] _minTimestamps = new long[MaxChunkBatches];
    private readonly RecordAccumulator _accumulator;
    private readonly BufferPool _pool;
    private readonly TimeSpan _linger;
    private readonly bool _acksAll;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly DeliveryReporter _reporter;
    private ITimer? _timer;
    private Task _loop = Task.CompletedTask;

    /// <summary>A sender for <paramref name="accumulator"/>'s batches; idempotent when <paramref name="producerIds"/> (the
    /// broker's producer ids) is given.</summary>
    public Sender(RecordAccumulator accumulator, BufferPool pool, ProducerOptions options, TimeProvider time, ILogger logger, DeliveryReporter reporter,
        ProducerIdManager? producerIds, Forwarding.ProduceForwarder? forwarder = null)
    {
        _producerIds = producerIds;
        _forwarder = forwarder;
        _reporter = reporter;
        _time = time;
        _accumulator = accumulator;
        _pool = pool;
        _linger = options.Linger;
        _acksAll = options.Acks == Acks.All;
        _requestTimeout = options.RequestTimeout;
        _logger = logger;
        _keepsUncommitted = forwarder is not null && _acksAll && producerIds is not null;
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
        if (_forwarder is not null)
            await _forwarder.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        while (true)
        {
            try
            {
                await CompleteRoundsAsync().ConfigureAwait(false);
                if (!InFlightFull)
                {
                    bool closing = _accumulator.IsClosed;
                    _accumulator.SealExpired(_linger, all: closing || _pool.HasWaiters);
                    _accumulator.DrainSealed(_batches);
                    if (_batches.Count > 0)
                    {
                        await SendAsync().ConfigureAwait(false);
                        continue;
                    }
                    if (closing && _inFlight.Count == 0 && !_accumulator.HasWaitingAppends && _accumulator.IsDrained)
                        return;
                }
            }
            catch (Exception e)
            {
                // A bug here must not strand every delivery: log, and go on with the next round.
                ProducerLog.SenderFailed(_logger, e);
                _batches.Clear();
            }

            // With every round slot taken only a wait's end (which signals) lets the loop on: no linger timer then.
            if (!InFlightFull)
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

    /// <summary>Appends the drained batches, each partition's in seal order, and fsyncs where due; then delivers them, or
    /// leaves the round in flight while its appends wait for the in-sync replicas (Sender.Rounds.cs).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]   // a round that fsyncs suspends: no box per round
    private async ValueTask SendAsync()
    {
        Round round = StartRound();
        foreach (ProducerBatch batch in round.Batches)
        {
            if (batch.Partition.Round.Count == 0)
                _partitions.Add(batch.Partition);
            batch.Partition.Round.Add(batch);
        }
        foreach (ProducerPartition partition in _partitions)
        {
            if (Forwards(partition))
            {
                QueueForwarded(partition);
                continue;
            }
            List<ProducerBatch> batches = partition.Round;
            for (int start = 0; start < batches.Count;)
                start += AppendChunk(partition, batches, start);
            batches.Clear();
            if (_acksAll && partition.Topic.FlushOnAck)
                _toFlush.Add(partition);
            if (NeedsReplicas(partition))
            {
                _toReplicate.Add(partition);
            }
            else
            {
                partition.RequiredHighWatermark = -1;
                ReleaseCommitted(partition, long.MaxValue);
            }
        }
        _partitions.Clear();
        round.Forwards = _forwarded.Count > 0;

        // One fsync per partition per round, however many of its batches the round appended.
        foreach (ProducerPartition partition in _toFlush)
        {
            try
            {
                await partition.Partition.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                FailAppended(round, partition, ProduceException.Wrap(partition.Id, e));
            }
        }
        _toFlush.Clear();

        // One wait per partition per round, for its last batch: the ones before it commit no later.
        foreach (ProducerPartition partition in _toReplicate)
        {
            WaitForReplicas(round, partition, partition.RequiredHighWatermark);
            partition.RequiredHighWatermark = -1;
        }
        _toReplicate.Clear();

        if (_inFlight.Count == 0 && round.Partitions.Count == 0 && !round.Forwards)
        {
            Deliver(round);
            return;
        }
        _inFlight.Enqueue(round);
        if (round.Forwards)
            await CompleteAllAsync().ConfigureAwait(false);
        else
            await CompleteRoundsAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Builds up to <see cref="MaxChunkBatches"/> batches (at most <see cref="MaxChunkBytes"/>) of one partition from
    /// <paramref name="start"/>, appends them with one call (one gathered write per segment), records where each landed
    /// or why not, and returns their builders to the pool. Returns how many batches it took.
    /// </summary>
    private int AppendChunk(ProducerPartition partition, List<ProducerBatch> round, int start)
    {
        _chunk.Clear();
        _built.Clear();
        // KIP-966: with too few in-sync replicas an Acks.All batch is refused before it is built (no sequence is used up).
        if (_acksAll && !partition.Partition.Replica.IsSole && NotEnoughReplicas(partition) is { } refused)
        {
            for (int k = start; k < round.Count; k++)
                Fail(round[k], refused);
            return round.Count - start;
        }
        long bytes = 0;
        int taken = 0;
        while (start + taken < round.Count && taken < MaxChunkBatches && bytes < MaxChunkBytes)
        {
            ProducerBatch batch = round[start + taken++];
            try
            {
                RecordBatch sealedBatch = Build(partition, batch);
                bytes += sealedBatch.SizeInBytes;
                _minTimestamps[_built.Count] = batch.Builder!.MinTimestamp;
                _chunk.Add(batch);
                _built.Add(sealedBatch);
            }
            catch (Exception e)
            {
                Fail(batch, e);
            }
        }

        // The log stops at a batch it cannot take (too large, a failed write): that one fails, the rest go on.
        Span<RecordBatch> built = CollectionsMarshal.AsSpan(_built);
        for (int done = 0; done < built.Length;)
        {
            int appended;
            Exception? error;
            try
            {
                appended = partition.Partition.Replica.AppendAsLeader(built[done..], _minTimestamps.AsSpan(done, built.Length - done),
                    _results.AsSpan(done), out LogStoreException? failure);
                error = failure;
            }
            catch (NotLeaderException) when (_forwarder is not null)
            {
                // The leadership moved away since the round began; nothing was appended: the rest go to the new leader.
                ForwardRestOfChunk(partition, done);
                break;
            }
            catch (Exception e)
            {
                // The log is closed (or worse): nothing more goes in.
                appended = 0;
                for (int k = done; k < built.Length; k++)
                    Fail(_chunk[k], e);
                if (_producerIds is not null)
                    OnOutcomeUnknown();
                break;
            }
            for (int k = done; k < done + appended; k++)
            {
                _chunk[k].BaseOffset = _results[k].BaseOffset;
                _chunk[k].LogAppendTime = _results[k].LogAppendTime;
            }
            if (appended > 0)
                partition.RequiredHighWatermark = Math.Max(partition.RequiredHighWatermark, _results[done + appended - 1].LastOffset + 1);
            done += appended;
            if (error is not null)
            {
                Fail(_chunk[done], error);
                if (_producerIds is not null && OnBatchNotAppended(partition, built, done, error) is { } unnumbered)
                {
                    for (int k = done + 1; k < built.Length; k++)
                        Fail(_chunk[k], unnumbered);
                    break;
                }
                done++;
            }
        }

        for (int k = 0; k < _chunk.Count; k++)
        {
            ProducerBatch batch = _chunk[k];
            if (_keepsUncommitted && batch.Error is null)
            {
                partition.Uncommitted.Add(batch);
                partition.UncommittedBuilt.Add(_built[k]);
            }
            else
            {
                _pool.Deallocate(batch.TakeBuilder(), batch.Cost, batch.Reusable && batch.Error is null);
            }
        }
        _chunk.Clear();
        _built.Clear();
        return taken;
    }

    /// <summary>Builds <paramref name="batch"/> (stamped with the partition's next sequence when idempotent) and notes
    /// whether its builder can go back to the pool for reuse.</summary>
    private RecordBatch Build(ProducerPartition partition, ProducerBatch batch)
    {
        int sequence = _producerIds is null ? 0 : Stamp(partition, batch.Builder!);
        RecordBatch built = batch.Builder!.Build();
        if (_producerIds is not null)
            Advance(partition, sequence, batch.Builder!.RecordCount);
        batch.Reusable = _pool.KeepsPoolableFootprint(built);
        return built;
    }

    private static NotEnoughReplicasException? NotEnoughReplicas(ProducerPartition partition)
    {
        try
        {
            partition.Partition.Replica.ThrowIfNotEnoughReplicas();
            return null;
        }
        catch (NotEnoughReplicasException e)
        {
            return e;
        }
    }

    private void Fail(ProducerBatch batch, Exception error)
    {
        batch.Error = ProduceException.Wrap(batch.Partition.Id, error);
        ProducerLog.BatchFailed(_logger, batch.Builder!.RecordCount, batch.Partition.Id, error);
        if (!_chunk.Contains(batch))
            _pool.Deallocate(batch.TakeBuilder(), batch.Cost, reusable: false);
    }
}
