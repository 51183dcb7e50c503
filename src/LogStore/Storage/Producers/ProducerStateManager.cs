using LogStore.Records;

namespace LogStore.Storage.Producers;

/// <summary>
/// What a partition knows of its idempotent producers (Kafka's ProducerStateManager, KIP-98 without transactions): per
/// producer id, its epoch and its last five batches' sequence ranges and offsets. A batch that repeats one of those (a
/// retry whose first attempt was appended) is answered with the first attempt's offsets and not appended again; one
/// that skips sequences is refused (<see cref="OutOfOrderSequenceException"/>); an older epoch is fenced
/// (<see cref="InvalidProducerEpochException"/>). Loaded lazily, on the first idempotent append, from the batches of the
/// last segments, so a retry after a restart is still recognised. Batches without a producer id (LogStore's own producer)
/// cost one comparison. Thread-safety: used under the partition's write lock.
/// </summary>
internal sealed class ProducerStateManager
{
    // Kafka keeps five: the most batches an idempotent producer has in flight per partition (max.in.flight ≤ 5).
    private const int BatchesKept = 5;

    private readonly Dictionary<long, ProducerEntry> _producers = [];

    public bool IsLoaded { get; private set; }

    /// <summary>Rebuilds the state from <paramref name="batches"/>, in log order (the loader's scan of the last segments).</summary>
    public void Load(IEnumerable<(long ProducerId, short Epoch, int BaseSequence, int LastSequence, long BaseOffset, long LastOffset)> batches)
    {
        foreach (var b in batches)
            Update(b.ProducerId, b.Epoch, b.BaseSequence, b.LastSequence, b.BaseOffset, b.LastOffset);
        IsLoaded = true;
    }

    /// <summary>
    /// Checks <paramref name="batch"/> against its producer's state: returns the offsets of the earlier append when it is a
    /// duplicate, null when it is to be appended.
    /// </summary>
    /// <exception cref="InvalidProducerEpochException">Its epoch is older than one seen.</exception>
    /// <exception cref="OutOfOrderSequenceException">Its sequence does not follow the producer's last batch.</exception>
    public (long BaseOffset, long LastOffset)? Check(TopicPartition partition, RecordBatch batch)
    {
        long producerId = batch.ProducerId;
        short epoch = batch.ProducerEpoch;
        int first = batch.BaseSequence;
        int last = LastSequence(batch);
        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry))
        {
            // A producer new to this partition starts at sequence 0; a later one lost its state here (retention removed
            // its batches): Kafka accepts it too (KIP-360), as nothing here says what came before.
            return null;
        }
        if (epoch < entry.Epoch)
            throw new InvalidProducerEpochException(partition, producerId, epoch, entry.Epoch);
        if (epoch > entry.Epoch)
        {
            if (first != 0)
                throw new OutOfOrderSequenceException(partition, producerId, 0, first);
            return null;
        }
        foreach (BatchMetadata kept in entry.Batches)
        {
            if (kept.FirstSequence == first && kept.LastSequence == last)
                return (kept.BaseOffset, kept.LastOffset);
        }
        int expected = entry.Batches.Count == 0 ? 0 : NextSequence(entry.Batches[^1].LastSequence);
        if (first != expected)
            throw new OutOfOrderSequenceException(partition, producerId, expected, first);
        return null;
    }

    /// <summary>Records an appended batch of an idempotent producer.</summary>
    public void OnAppended(RecordBatch batch, long baseOffset) =>
        Update(batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, LastSequence(batch), baseOffset, baseOffset + batch.LastOffsetDelta);

    private void Update(long producerId, short epoch, int firstSequence, int lastSequence, long baseOffset, long lastOffset)
    {
        if (!_producers.TryGetValue(producerId, out ProducerEntry? entry) || epoch > entry.Epoch)
            _producers[producerId] = entry = new ProducerEntry(epoch);
        if (entry.Batches.Count == BatchesKept)
            entry.Batches.RemoveAt(0);
        entry.Batches.Add(new BatchMetadata(firstSequence, lastSequence, baseOffset, lastOffset));
    }

    /// <summary>The sequence of a batch's last record: sequences wrap from int.MaxValue to 0, as Kafka's do.</summary>
    public static int LastSequence(RecordBatch batch) => (int)((batch.BaseSequence + (long)batch.LastOffsetDelta) % ((long)int.MaxValue + 1));

    private static int NextSequence(int sequence) => sequence == int.MaxValue ? 0 : sequence + 1;

    private sealed class ProducerEntry(short epoch)
    {
        public short Epoch { get; } = epoch;

        public List<BatchMetadata> Batches { get; } = new(BatchesKept);
    }

    private readonly record struct BatchMetadata(int FirstSequence, int LastSequence, long BaseOffset, long LastOffset);
}
