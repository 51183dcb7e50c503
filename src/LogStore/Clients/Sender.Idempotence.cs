using System.Runtime.InteropServices;
using LogStore.Records;
using LogStore.Storage.Producers;

namespace LogStore.Clients;

/// <summary>
/// The idempotent producer's part of the sender (what Kafka's client keeps in its TransactionManager for a producer
/// without transactions): one producer id and epoch from the broker's <see cref="ProducerIdManager"/>, and per partition
/// the next sequence number, stamped on each batch as it is built — so in seal order, which is append order.
/// </summary>
/// <remarks>
/// <para>The in-process sender never retries: an append is a synchronous call into the partition, and a failed one fails
/// its batch's deliveries. So a batch is never sent twice by this producer; the partition's duplicate check is what
/// protects against a batch appended again by other means (a Kafka client's retry over the network).</para>
/// <para>When a batch is not appended, the sequences after it must not leave a gap: the partition would refuse every
/// later batch. As Kafka's adjustSequencesDueToFailedBatch does, the partition's next sequence goes back to the failed
/// batch's, and the batches already built after it are renumbered. When the partition refuses a batch for its sequence
/// or epoch (its state and this producer disagree), the batch fails with that exception and the producer takes a new
/// epoch (Kafka's local epoch bump, KIP-360) — or a new producer id when fenced or out of epochs — and every partition
/// starts again at sequence 0, which the partition accepts from a newer epoch.</para>
/// <para>All of it runs on the sender task only: no lock, and nothing allocated per batch or record.</para>
/// </remarks>
internal sealed partial class Sender
{
    private readonly ProducerIdManager? _producerIds;
    private long _producerId = -1;
    private short _epoch = -1;
    private int _identity;

    /// <summary>The producer id batches carry now; -1 when the producer is not idempotent. For tests.</summary>
    internal long ProducerId => _producerId;

    /// <summary>Stamps the producer id, epoch and <paramref name="partition"/>'s next sequence on the batch about to be
    /// built; returns its base sequence (<see cref="Advance"/> moves past it once built). The producer id is taken from
    /// the broker at the first batch, so a producer that never sends takes none.</summary>
    /// <exception cref="StorageException">No producer id could be had: the batch fails, and the next one asks again.</exception>
    private int Stamp(ProducerPartition partition, RecordBatchBuilder builder)
    {
        if (_producerId < 0)
            NewProducerId();
        if (partition.SequenceIdentity != _identity)
        {
            partition.SequenceIdentity = _identity;
            partition.NextSequence = 0;
        }
        builder.ProducerId = _producerId;
        builder.ProducerEpoch = _epoch;
        builder.BaseSequence = partition.NextSequence;
        return partition.NextSequence;
    }

    /// <summary>The batch stamped at <paramref name="baseSequence"/> was built: the partition's next batch follows it.</summary>
    private static void Advance(ProducerPartition partition, int baseSequence, int recordCount) =>
        partition.NextSequence = RecordBatch.IncrementSequence(baseSequence, recordCount);

    /// <summary>
    /// <c>built[failed]</c> was not appended because of <paramref name="error"/>: takes a new epoch (or id) when the
    /// partition refused its sequence or epoch, then renumbers the batches built after it, which have not been appended
    /// yet, so that they follow the last batch the partition has. Returns why they cannot be renumbered (no new producer
    /// id could be had), in which case they must fail too, or null.
    /// </summary>
    private LogStoreException? OnBatchNotAppended(ProducerPartition partition, ReadOnlySpan<RecordBatch> built, int failed, Exception error)
    {
        int next;
        if (error is OutOfOrderSequenceException or InvalidProducerEpochException)
        {
            try
            {
                NewEpoch(fenced: error is InvalidProducerEpochException);
            }
            catch (StorageException e)
            {
                return e;
            }
            partition.SequenceIdentity = _identity;
            next = 0;
        }
        else if (partition.SequenceIdentity != _identity)
        {
            // The producer took a new epoch after these batches were stamped (another partition's forwarded batch was
            // refused in the same round): the rest start the new epoch at 0, which the partition accepts.
            partition.SequenceIdentity = _identity;
            next = 0;
        }
        else
        {
            next = built[failed].BaseSequence;
        }
        for (int k = failed + 1; k < built.Length; k++)
        {
            RecordBatch.SetProducerState(MemoryMarshal.AsMemory(built[k].Memory).Span, _producerId, _epoch, next);
            next = RecordBatch.IncrementSequence(next, built[k].LastOffsetDelta + 1);
        }
        partition.NextSequence = next;
        return null;
    }

    /// <summary>
    /// The append threw: which of the batches the partition took is unknown (a flush policy's fsync fails after the
    /// write). Reusing their sequences could have a later batch taken for a retry of one that was appended, and dropped;
    /// so, as Kafka's producer does when its sequences are in doubt, the epoch is bumped and every partition starts
    /// again at sequence 0, which no earlier batch of this producer used.
    /// </summary>
    private void OnOutcomeUnknown()
    {
        try
        {
            NewEpoch(fenced: false);
        }
        catch (StorageException)
        {
            // Out of epochs and no new id: the producer has none now, and its next batch asks again.
        }
    }

    /// <summary>Bumps the epoch, or takes a new producer id when fenced (a newer epoch of this id exists) or out of
    /// epochs; every partition's sequences start again at 0.</summary>
    /// <exception cref="StorageException">A new producer id was needed and could not be had: the producer has none, and
    /// its next batch asks again.</exception>
    private void NewEpoch(bool fenced)
    {
        if (fenced || _epoch == short.MaxValue)
            NewProducerId();
        else
            _epoch++;
        _identity++;
    }

    /// <exception cref="StorageException">The broker could not record a new block of ids; the producer is left without
    /// one (-1), so that the next batch asks again rather than reuse an id.</exception>
    private void NewProducerId()
    {
        _producerId = -1;
        _producerId = _producerIds!.NextProducerId();
        _epoch = 0;
        _identity++;
    }
}
