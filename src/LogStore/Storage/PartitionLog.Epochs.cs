using LogStore.Storage.Checkpoints;
using LogStore.Storage.Epochs;

namespace LogStore.Storage;

/// <summary>
/// Leader epochs: the epoch stamped on appended batches and the <see cref="LeaderEpochFileCache"/> behind
/// OffsetForLeaderEpoch. A single node leads the latest epoch it knows (0 for a new log) until replication assigns
/// another.
/// </summary>
internal sealed partial class PartitionLog
{
    private LeaderEpochFileCache _leaderEpochCache = new(null, [], dirty: false);
    private volatile int _leaderEpoch;

    /// <summary>The partition's leader epochs and where each began.</summary>
    public LeaderEpochFileCache LeaderEpochCache => _leaderEpochCache;

    /// <summary>The epoch stamped on the batches appended from now on; it never goes back.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An epoch below the current one.</exception>
    public int LeaderEpoch
    {
        get => _leaderEpoch;
        set
        {
            lock (_writeLock)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(value, _leaderEpoch);
                _leaderEpoch = value;
            }
        }
    }

    /// <summary>Kafka's <c>endOffsetForEpoch</c> on this log (see <see cref="LeaderEpochFileCache.EndOffsetFor"/>).</summary>
    public (int Epoch, long EndOffset) EndOffsetForEpoch(int epoch) => _leaderEpochCache.EndOffsetFor(epoch, LogEndOffset);

    /// <summary>Stamps the current epoch on a batch being appended at <paramref name="baseOffset"/>, recording its start
    /// when it is new. Under the write lock; without allocation unless the epoch changes.</summary>
    private void StampLeaderEpoch(Span<byte> batch, long baseOffset)
    {
        int epoch = _leaderEpoch;
        RecordBatch.SetPartitionLeaderEpoch(batch, epoch);
        if (epoch != _leaderEpochCache.LatestEpoch)
            AssignLeaderEpoch(epoch, baseOffset);
    }

    private void AssignLeaderEpoch(int epoch, long baseOffset)
    {
        _leaderEpochCache.Assign(epoch, baseOffset);
        // Written now without fsync, so that a close or a flush finds it and only fsyncs it; a failure is retried there.
        if (_leaderEpochCache.WriteUnsynced() is { } failure)
            StorageLog.LeaderEpochCheckpointWriteFailed(_logger, Id, failure);
    }

    /// <summary>
    /// Loads the cache at open from <c>leader-epoch-checkpoint</c>, trimmed to the loaded log. The file covers the epochs
    /// below the checkpointed recovery point (it is written before each checkpoint); after an unclean stop the batches
    /// from the recovery point on are scanned for newer ones. A missing or corrupt file (a store from before the file
    /// existed, a power loss before an unsynced write reached the disk) is rebuilt from every batch header, logged, and
    /// written at the next checkpoint. A read-only log reads and never writes.
    /// </summary>
    private void LoadLeaderEpochs(bool readOnly, bool hadCleanShutdown)
    {
        CheckpointFile<EpochEntry> file = LeaderEpochCheckpointFile.Open(_fileCache.Files, Directory);
        List<EpochEntry>? entries;
        string? problem = null;
        try
        {
            entries = file.Read();
            problem = entries is null ? "it is missing" : null;
        }
        catch (CorruptCheckpointException e)
        {
            entries = null;
            problem = e.Message;
        }
        LogSegment[] segments = _segments.Snapshot;
        long scanFrom = long.MaxValue;
        if (entries is null)
        {
            // A log written before the file existed, or a damaged file; a new empty log has nothing to rebuild.
            entries = [];
            scanFrom = LogStartOffset;
            if (LogEndOffset > LogStartOffset)
                StorageLog.LeaderEpochsRebuilt(_logger, Id, problem!);
        }
        else if (!hadCleanShutdown && !readOnly)
        {
            scanFrom = RecoveryPoint;
        }
        var cache = new LeaderEpochFileCache(readOnly ? null : file, entries, dirty: problem is not null && LogEndOffset > LogStartOffset);
        if (scanFrom < LogEndOffset)
            ScanLeaderEpochs(cache, segments, scanFrom);
        cache.TruncateFromEnd(LogEndOffset);
        cache.TruncateFromStart(LogStartOffset);
        _leaderEpochCache = cache;
        _leaderEpoch = Math.Max(0, cache.LatestEpoch);
    }

    /// <summary>Assigns the epoch of every batch from the segment holding <paramref name="from"/> on. Only the headers are
    /// looked at (no CRC check, no decompression), but through the scanner's large sequential reads, which cost less
    /// than a read per header for the small batches most logs hold.</summary>
    private static void ScanLeaderEpochs(LeaderEpochFileCache cache, LogSegment[] segments, long from)
    {
        for (int i = Math.Max(0, LogSegments.FloorIndex(segments, from)); i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (!segment.TryAcquire())
                continue;
            try
            {
                using var scanner = new BatchScanner(segment.Log, 0, segment.SizeInBytes, verifyCrc: false);
                while (scanner.MoveNext())
                {
                    RecordBatch batch = scanner.Current;
                    if (batch.PartitionLeaderEpoch >= 0 && batch.PartitionLeaderEpoch != cache.LatestEpoch)
                        cache.Assign(batch.PartitionLeaderEpoch, batch.BaseOffset);
                }
            }
            finally
            {
                segment.Release();
            }
        }
    }
}
