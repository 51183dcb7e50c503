using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    private Exception? _offlineCause;

    /// <summary>Why the partition could not be opened, or null for a partition that is online (open or closed).</summary>
    public Exception? OfflineCause => _offlineCause;

    /// <summary>
    /// A log that stands for a partition whose open failed with <paramref name="cause"/> (Kafka's offline partition):
    /// closed from the start, with no segment, so the broker's background work (flush, retention, compaction,
    /// metrics) passes it by as it does a closed log, and every use of it throws <see cref="PartitionOfflineException"/>.
    /// Nothing on disk is touched, so the partition's bytes stay as the failed open found them.
    /// </summary>
    public static PartitionLog Offline(string dataDirectory, TopicPartition id, TopicConfig config, SegmentFileCache fileCache,
        TimeProvider time, ILogger logger, Exception cause)
    {
        string directory = Path.Combine(dataDirectory, LogFileNames.PartitionDirectoryName(id));
        return new PartitionLog(id, directory, config, fileCache, time, logger) { _closed = true, _offlineCause = cause };
    }

    /// <summary>Throws <see cref="PartitionOfflineException"/> when the partition is offline; a new instance per
    /// throw, so that concurrent callers never share one exception's stack trace.</summary>
    public void ThrowIfOffline()
    {
        if (_offlineCause is { } cause)
            throw new PartitionOfflineException(Id, cause);
    }
}
