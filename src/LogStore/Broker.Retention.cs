using LogStore.Retention;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>The background retention and compaction of this broker's partitions, started when it opens.</summary>
    internal RetentionManager Retention => GetService(static broker => new RetentionManager(broker));

    /// <summary>Starts <see cref="Retention"/>: a broker service, so it stops before the partitions close.</summary>
    private void StartRetention() => _ = Retention;

    /// <summary>
    /// Deletes every record of <paramref name="partition"/> below <paramref name="beforeOffset"/> (Kafka's DeleteRecords):
    /// the log start offset moves up to it at once and is persisted, reads below it fail with
    /// <see cref="OffsetOutOfRangeException"/>, and the segments that lie entirely below it are deleted (a reader already
    /// inside one finishes first). Returns the new log start offset; an offset at or below the current log start changes
    /// nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beforeOffset"/> is negative.</exception>
    /// <exception cref="UnknownTopicException">The topic or partition does not exist.</exception>
    /// <exception cref="OffsetOutOfRangeException"><paramref name="beforeOffset"/> is above the partition's high watermark.</exception>
    /// <exception cref="StorageException">The new log start offset could not be persisted.</exception>
    public ValueTask<long> DeleteRecordsAsync(TopicPartition partition, long beforeOffset, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(beforeOffset);
        ThrowIfDisposed();
        ThrowIfReadOnly("delete records");
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<long>(cancellationToken);
        if (!TryGetPartition(partition.Topic, partition.Partition, out Partition? found))
            throw new UnknownTopicException(partition.Topic, partition.Partition);
        try
        {
            return ValueTask.FromResult(found.Replica.DeleteRecordsBefore(beforeOffset));
        }
        catch (Exception e) when (e is LogStoreException or ObjectDisposedException)
        {
            return ValueTask.FromException<long>(e);
        }
    }
}
