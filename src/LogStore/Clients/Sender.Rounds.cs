using LogStore.Storage.Replication;

namespace LogStore.Clients;

/// <summary>
/// The sender's rounds in flight (Kafka's max.in.flight.requests.per.connection): with <see cref="Acks.All"/> in a
/// cluster a round's appends wait for the in-sync replicas, and while they wait the next rounds are appended, up to
/// <see cref="MaxInFlight"/>, so the leader's writes and the followers' fetches overlap instead of taking turns.
/// </summary>
/// <remarks>
/// <para>Rounds complete in the order they were appended, so a partition's deliveries keep their order. A round whose
/// waits all succeeded completes alone (the common case); anything else — a failed wait, or batches forwarded
/// to another node — completes every round in flight together (<see cref="CompleteAllAsync"/>): a leadership move
/// must send all the uncommitted batches of a partition to the new leader in order, before anything forwarded later.</para>
/// </remarks>
internal sealed partial class Sender
{
    /// <summary>Kafka's default max.in.flight.requests.per.connection, the most an idempotent producer may have.</summary>
    private const int MaxInFlight = 5;

    private readonly Queue<Round> _inFlight = new();
    private readonly Stack<Round> _spareRounds = new();
    private Action? _wakeOnWait;

    private bool InFlightFull => _inFlight.Count >= MaxInFlight;

    /// <summary>A round appended (or forwarded) and not yet delivered.</summary>
    private sealed class Round
    {
        public List<ProducerBatch> Batches { get; set; } = [];

        /// <summary>The round's partitions that wait for the in-sync replicas.</summary>
        public List<Pending> Partitions { get; } = [];

        /// <summary>Whether some batches of the round went to the forwarder.</summary>
        public bool Forwards { get; set; }

        /// <summary>Whether every wait succeeded and nothing failed or was forwarded: the round can complete alone.</summary>
        public bool IsPlain
        {
            get
            {
                if (Forwards)
                    return false;
                foreach (Pending pending in Partitions)
                {
                    if (!pending.Wait.IsCompletedSuccessfully)
                        return false;
                }
                return true;
            }
        }

        public bool IsSettled
        {
            get
            {
                foreach (Pending pending in Partitions)
                {
                    if (!pending.Wait.IsCompleted)
                        return false;
                }
                return true;
            }
        }
    }

    /// <summary>One partition of a round: the high watermark its appends need and the wait for it.</summary>
    private readonly record struct Pending(ProducerPartition Partition, long RequiredHighWatermark, Task Wait);

    /// <summary>A round for the drained batches (in <see cref="_batches"/>, whose list it takes).</summary>
    private Round StartRound()
    {
        if (!_spareRounds.TryPop(out Round? round))
            round = new Round();
        (round.Batches, _batches) = (_batches, round.Batches);
        return round;
    }

    /// <summary>Starts the wait of <paramref name="partition"/>'s appends of <paramref name="round"/> for the in-sync
    /// replicas; its end wakes the loop.</summary>
    private void WaitForReplicas(Round round, ProducerPartition partition, long required)
    {
        Task wait = partition.Partition.Replica.WaitForHighWatermarkAsync(required, _requestTimeout).AsTask();
        if (!wait.IsCompleted)
            wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_wakeOnWait ??= _signal.Set);
        round.Partitions.Add(new Pending(partition, required, wait));
    }

    /// <summary>Delivers the rounds at the head of the queue that are settled: alone when plain, otherwise with every
    /// round behind them.</summary>
    private async ValueTask CompleteRoundsAsync()
    {
        while (_inFlight.TryPeek(out Round? head) && head.IsSettled)
        {
            if (!head.IsPlain || _forwarded.Count > 0)
            {
                await CompleteAllAsync().ConfigureAwait(false);
                return;
            }
            _inFlight.Dequeue();
            foreach (Pending pending in head.Partitions)
                ReleaseCommitted(pending.Partition, pending.RequiredHighWatermark);
            Deliver(head);
        }
    }

    /// <summary>
    /// Waits for every round in flight, then settles them in order: a failed wait fails the partition's batches of that
    /// round; a lost leadership sends the partition's uncommitted batches (of every round) to the new
    /// leader, before the batches forwarded after them; then every round is delivered.
    /// </summary>
    private async ValueTask CompleteAllAsync()
    {
        foreach (Round round in _inFlight)
        {
            foreach (Pending pending in round.Partitions)
                await pending.Wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        foreach (Round round in _inFlight)
        {
            foreach (Pending pending in round.Partitions)
            {
                if (!pending.Wait.IsCompletedSuccessfully)
                {
                    Exception error = pending.Wait.Exception?.InnerException ?? new OperationCanceledException();
                    if (error is NotLeaderException notLeader && pending.Partition.Uncommitted.Count > 0)
                        ForwardUncommitted(pending.Partition, notLeader);
                    else
                        FailAppended(round, pending.Partition, ProduceException.Wrap(pending.Partition.Id, error));
                }
                ReleaseCommitted(pending.Partition, pending.RequiredHighWatermark);
            }
        }
        if (_forwarded.Count > 0)
            await ForwardAsync().ConfigureAwait(false);
        while (_inFlight.TryDequeue(out Round? round))
            Deliver(round);
    }

    /// <summary>Fails <paramref name="partition"/>'s batches of <paramref name="round"/> that were appended here and
    /// have no outcome yet (not those failed already, nor those on their way to another leader): a failed fsync or wait
    /// for the in-sync replicas.</summary>
    private static void FailAppended(Round round, ProducerPartition partition, LogStoreException error)
    {
        foreach (ProducerBatch batch in round.Batches)
        {
            if (batch.Partition == partition && batch.Error is null && batch.BaseOffset >= 0)
                batch.Error = error;
        }
    }

    /// <summary>Runs the round's delivery callbacks and returns its batches to the accumulator.</summary>
    private void Deliver(Round round)
    {
        List<ProducerBatch> batches = round.Batches;
        foreach (ProducerBatch batch in batches)
            batch.Deliver(_logger, _reporter);
        int count = batches.Count;
        foreach (ProducerBatch batch in batches)
            _accumulator.Recycle(batch);
        batches.Clear();
        round.Partitions.Clear();
        round.Forwards = false;
        _spareRounds.Push(round);
        _accumulator.MarkDone(count);
    }

    /// <summary>Whether <paramref name="partition"/>'s appends need a wait for the in-sync replicas: with acks=all, in a
    /// cluster (alone, the high watermark is the log end, past every append already).</summary>
    private bool NeedsReplicas(ProducerPartition partition) =>
        _acksAll && partition.RequiredHighWatermark > partition.Partition.Replica.HighWatermark;
}
