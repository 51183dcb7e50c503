using System.Runtime.InteropServices;
using LogStore.Clients.Forwarding;
using LogStore.Records;
using LogStore.Storage.Replication;

namespace LogStore.Clients;

/// <summary>
/// The sender's part for partitions led by another node of a cluster (issue 15): a round's batches of such a partition
/// are built and stamped as local ones are, then handed to the <see cref="ProduceForwarder"/>, one batch per partition
/// at a time, until each is settled: appended, refused, or out of time.
/// </summary>
/// <remarks>
/// <para>Whether a partition is forwarded is decided per round by its replica's role, so a round's batches of one
/// partition all go one way, and the round ends only when they are settled: the next round's batches, local or not, come
/// after them. A refused batch (NOT_LEADER_OR_FOLLOWER, no leader, a network failure) is sent again to the leader of the
/// next applied image (waited for at most a backoff from 50 ms doubling to 1 s) until
/// <see cref="ProducerOptions.DeliveryTimeout"/> has passed since the batch was opened; then it and the partition's
/// later batches of the round fail with the last error.</para>
/// <para>The sequences follow the local rules (Sender.Idempotence.cs): a batch refused for good frees its sequence and
/// the batches after it are renumbered; one that timed out after a request may have reached the leader, so the epoch is
/// bumped instead. A batch sent again keeps its sequence, so the leader appends it once.</para>
/// <para>A round waits for its forwarded batches as it waits for the in-sync replicas; a leader change stalls the
/// producer's other partitions until it is settled (as max.in.flight=1 would in Kafka). Nothing here runs for a producer
/// without a forwarder (a single node).</para>
/// </remarks>
internal sealed partial class Sender
{
    private static readonly TimeSpan MinForwardBackoff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxForwardBackoff = TimeSpan.FromSeconds(1);

    private readonly ProduceForwarder? _forwarder;
    // Whether appended batches keep their builders until committed (ProducerPartition.Uncommitted): only a retry to a
    // new leader needs them, and only an idempotent producer may send a batch twice.
    private readonly bool _keepsUncommitted;
    private readonly List<ForwardedPartition> _forwarded = [];
    private readonly Stack<ForwardedPartition> _spareForwarded = new();

    /// <summary>Whether this round's batches of <paramref name="partition"/> go to its leader elsewhere: in a cluster,
    /// when this node's replica does not lead it.</summary>
    private bool Forwards(ProducerPartition partition) =>
        _forwarder is not null && partition.Partition.Replica.Role != ReplicaRole.Leader;

    /// <summary>Builds and stamps <paramref name="partition"/>'s batches of the round, in seal order, for the forwarder.</summary>
    private void QueueForwarded(ProducerPartition partition)
    {
        ForwardedPartition forwarded = ForwardedFor(partition);
        foreach (ProducerBatch batch in partition.Round)
        {
            try
            {
                forwarded.Add(batch, Build(partition, batch));
            }
            catch (Exception e)
            {
                FailForwarded(batch, e);
                _pool.Deallocate(batch.TakeBuilder(), batch.Cost, reusable: false);
            }
        }
        partition.Round.Clear();
    }

    /// <summary>This round's forwarded entry of <paramref name="partition"/>, added (from the spares) if it has none.</summary>
    private ForwardedPartition ForwardedFor(ProducerPartition partition)
    {
        foreach (ForwardedPartition known in _forwarded)
        {
            if (known.Partition == partition)
                return known;
        }
        if (!_spareForwarded.TryPop(out ForwardedPartition? forwarded))
            forwarded = new ForwardedPartition();
        forwarded.Reset(partition);
        _forwarded.Add(forwarded);
        return forwarded;
    }

    /// <summary>
    /// The local append of <paramref name="partition"/> found this node no longer its leader (the role moved between the
    /// round's check and the append; nothing of the chunk was appended): the chunk's batches from <paramref name="from"/>
    /// on, built and stamped already, go to the forwarder after the ones queued before them, and leave the chunk so
    /// their builders stay alive until they are settled.
    /// </summary>
    private void ForwardRestOfChunk(ProducerPartition partition, int from)
    {
        ForwardedPartition forwarded = ForwardedFor(partition);
        for (int k = from; k < _chunk.Count; k++)
            forwarded.Add(_chunk[k], _built[k]);
        _chunk.RemoveRange(from, _chunk.Count - from);
    }

    /// <summary>
    /// The leadership of <paramref name="partition"/> moved while its appended batches waited for the in-sync replicas
    /// (Kafka's leader answers NOT_LEADER_OR_FOLLOWER and the producer retries). Those below the high watermark are
    /// committed where they are; the rest may be on the new leader or cut by it, so they go to it before anything the
    /// round forwards after them, keeping their sequences: it appends each once, or recognises it as one it has.
    /// </summary>
    private void ForwardUncommitted(ProducerPartition partition, NotLeaderException error)
    {
        long committed = partition.Partition.Replica.HighWatermark;
        List<ProducerBatch> kept = partition.Uncommitted;
        int first = 0;
        while (first < kept.Count && kept[first].BaseOffset + kept[first].Builder!.RecordCount <= committed)
            first++;
        int count = kept.Count - first;
        if (count == 0)
            return;
        ForwardedPartition forwarded = ForwardedFor(partition);
        forwarded.Batches.InsertRange(0, kept.GetRange(first, count));
        forwarded.Built.InsertRange(0, partition.UncommittedBuilt.GetRange(first, count));
        forwarded.Uncertain += count;
        forwarded.MayHaveAppended = true;
        forwarded.LastError = error;
        for (int k = first; k < kept.Count; k++)
        {
            kept[k].BaseOffset = -1;
            kept[k].LogAppendTime = null;
        }
        kept.RemoveRange(first, count);
        partition.UncommittedBuilt.RemoveRange(first, count);
    }

    /// <summary>Returns the builders of <paramref name="partition"/>'s kept batches below <paramref name="upTo"/>
    /// (committed, or failed with their round) to the pool; later rounds' batches stay kept.</summary>
    private void ReleaseCommitted(ProducerPartition partition, long upTo)
    {
        List<ProducerBatch> kept = partition.Uncommitted;
        int count = 0;
        while (count < kept.Count && kept[count].BaseOffset < upTo)
        {
            ProducerBatch batch = kept[count++];
            _pool.Deallocate(batch.TakeBuilder(), batch.Cost, batch.Reusable && batch.Error is null);
        }
        kept.RemoveRange(0, count);
        partition.UncommittedBuilt.RemoveRange(0, count);
    }

    /// <summary>Sends the round's forwarded batches until each is settled, then returns their builders to the pool.</summary>
    private async ValueTask ForwardAsync()
    {
        ProduceForwarder forwarder = _forwarder!;
        TimeSpan backoff = MinForwardBackoff;
        while (true)
        {
            var seen = forwarder.Image;
            foreach (ForwardedPartition forwarded in _forwarded)
            {
                if (forwarded.HasNext && (_time.GetElapsedTime(forwarded.Head.CreatedTimestamp) >= forwarder.DeliveryTimeout
                    || (forwarder.IsClosing && forwarded.LastError is not null)))
                    Expire(forwarded, ProduceErrors.DeliveryTimedOut(forwarded.Partition.Id, forwarder.DeliveryTimeout, forwarded.LastError));
            }
            await forwarder.SendAsync(_forwarded).ConfigureAwait(false);

            bool pending = false;
            bool retry = false;
            foreach (ForwardedPartition forwarded in _forwarded)
            {
                if (!forwarded.HasNext)
                    continue;
                Settle(forwarded);
                pending |= forwarded.HasNext;
                retry |= forwarded.Attempt.Outcome == ForwardOutcome.Retry;
            }
            if (!pending)
                break;
            if (retry)
            {
                await forwarder.WaitForNextImageAsync(seen, backoff).ConfigureAwait(false);
                backoff = backoff * 2 < MaxForwardBackoff ? backoff * 2 : MaxForwardBackoff;
            }
            else
            {
                backoff = MinForwardBackoff;
            }
        }

        foreach (ForwardedPartition forwarded in _forwarded)
        {
            foreach (ProducerBatch batch in forwarded.Batches)
                _pool.Deallocate(batch.TakeBuilder(), batch.Cost, batch.Reusable && batch.Error is null);
            forwarded.Reset(null!);
            _spareForwarded.Push(forwarded);
        }
        _forwarded.Clear();
    }

    /// <summary>Applies the head batch's attempt: delivered, failed (freeing or keeping its sequence), or left for a retry.</summary>
    private void Settle(ForwardedPartition forwarded)
    {
        ForwardAttempt attempt = forwarded.Attempt;
        ProducerBatch head = forwarded.Head;
        switch (attempt.Outcome)
        {
            case ForwardOutcome.Appended:
                head.BaseOffset = attempt.BaseOffset;
                head.LogAppendTime = attempt.LogAppendTime;
                Settled(forwarded);
                break;
            case ForwardOutcome.AppendedButFailed:
                FailForwarded(head, attempt.Error!);
                Settled(forwarded);
                break;
            case ForwardOutcome.NotAppended when forwarded.MayHaveAppended:
                // An earlier send may be in the log: freeing the sequence could have the next batch taken for it.
                Expire(forwarded, attempt.Error!);
                break;
            case ForwardOutcome.NotAppended:
                NotAppended(forwarded, attempt.Error!);
                break;
            case ForwardOutcome.Retry:
                forwarded.LastError = attempt.Error;
                forwarded.MayHaveAppended |= attempt.Sent;
                break;
        }
    }

    private static void Settled(ForwardedPartition forwarded)
    {
        forwarded.Next++;
        forwarded.LastError = null;
        forwarded.MayHaveAppended = forwarded.Next < forwarded.Uncertain;
    }

    /// <summary>The head batch was refused with nothing appended: it fails, and (idempotent) the batches after it are
    /// renumbered to follow the last one the leader has, as a local refusal does.</summary>
    private void NotAppended(ForwardedPartition forwarded, LogStoreException error)
    {
        int failed = forwarded.Next;
        FailForwarded(forwarded.Head, error);
        Settled(forwarded);
        if (_producerIds is not null && OnBatchNotAppended(forwarded.Partition, CollectionsMarshal.AsSpan(forwarded.Built), failed, error) is { } unnumbered)
        {
            for (; forwarded.HasNext; forwarded.Next++)
                FailForwarded(forwarded.Head, unnumbered);
        }
    }

    /// <summary>The head batch is out of time (or refused after a send whose outcome is unknown): it and the partition's
    /// later batches of the round fail. Their sequences are freed when no request of the head may have been appended;
    /// otherwise the epoch is bumped, as after a local append whose outcome is unknown.</summary>
    private void Expire(ForwardedPartition forwarded, LogStoreException error)
    {
        ProducerPartition partition = forwarded.Partition;
        int first = forwarded.HeadBuilt.BaseSequence;
        bool unknown = forwarded.MayHaveAppended;
        for (; forwarded.HasNext; forwarded.Next++)
            FailForwarded(forwarded.Head, error);
        forwarded.MayHaveAppended = false;
        forwarded.Uncertain = 0;
        if (_producerIds is null)
            return;
        if (unknown)
            OnOutcomeUnknown();
        else if (partition.SequenceIdentity == _identity)
            partition.NextSequence = first;
    }

    private void FailForwarded(ProducerBatch batch, Exception error)
    {
        batch.Error = ProduceException.Wrap(batch.Partition.Id, error);
        ProducerLog.BatchFailed(_logger, batch.Builder!.RecordCount, batch.Partition.Id, error);
    }
}
