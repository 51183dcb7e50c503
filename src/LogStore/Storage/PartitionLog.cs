using LogStore.Storage.Checkpoints;
using LogStore.Diagnostics;
using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>
/// The log of one partition (Kafka's LocalLog + UnifiedLog's append path): a directory <c>&lt;topic&gt;-&lt;n&gt;/</c> of
/// segments. It owns offsets (assigned on append by rewriting each batch's baseOffset, as Kafka's leader does), roll,
/// flush, the recovery-point checkpoint and a follower's truncation (<c>PartitionLog.Truncation.cs</c>).
/// Thread-safety: appends are serialised by one lock (a single writer); reads and offset lookups run concurrently
/// with them on immutable snapshots, seeing only batches whose bytes are completely written.
/// After a crash: <see cref="LogLoader"/> keeps everything below the recovery point and cuts only a damaged tail past it.
/// </summary>
internal sealed partial class PartitionLog : IAsyncDisposable
{
    private readonly Lock _writeLock = new();
    private readonly Lock _flushLock = new();
    private readonly LogSegments _segments = new();
    private readonly SegmentFileCache _fileCache;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _logStartOffset;
    private long _logEndOffset;
    private long _recoveryPoint;
    private long _checkpointedRecoveryPoint = -1;
    private long _checkpointedLogStartOffset = -1;
    // The data directory's checkpoint files, which hold this log's recovery point and log start; null when offline.
    private DataDirectoryCheckpoints? _checkpoints;
    // What this log last staged into them: a write must reach it before an explicit flush returns.
    private long _stagedVersion;
    private long _lastFlushTimestamp;
    // 1 while a directory entry of this log (a rolled segment's files, what the loader created or removed) may not be
    // durable yet: the next flush fsyncs the directory before it acknowledges anything.
    private int _directoryFsyncPending = 1;
    private volatile bool _closed;
    private volatile TopicConfig _config;

    private PartitionLog(TopicPartition id, string directory, TopicConfig config, SegmentFileCache fileCache, TimeProvider time, ILogger logger)
    {
        Id = id;
        Directory = directory;
        _config = config;
        _fileCache = fileCache;
        _time = time;
        _logger = logger;
        _lastFlushTimestamp = time.GetTimestamp();
    }

    public TopicPartition Id { get; }

    public string Directory { get; }

    /// <summary>The broker's clock (replication's waits and lag checks run on it too).</summary>
    public TimeProvider Time => _time;

    /// <summary>The broker's file system, through which every write, fsync and rename of this log goes.</summary>
    public FileSystem Files => _fileCache.Files;

    /// <summary>The topic's settings; replaced whole when they are altered, read afresh by each append, roll, flush,
    /// retention check and cleaning, so a change applies from the next one on. Index sizes apply from the next roll.</summary>
    public TopicConfig Config
    {
        get => _config;
        set => _config = value;
    }

    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>Everything below it is known to be on disk.</summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    public bool IsClosed => _closed;

    internal LogSegments Segments => _segments;

    /// <summary>True when <see cref="Open"/> created the partition's directory: its entry in the data directory is not
    /// durable until the caller fsyncs the data directory (once for all the partitions it opened).</summary>
    public bool CreatedDirectory { get; private init; }

    /// <summary>Opens (creating when missing) the partition's directory and loads it, recovering after an unclean stop.</summary>
    public static PartitionLog Open(string dataDirectory, TopicPartition id, TopicConfig config, SegmentFileCache fileCache,
        TimeProvider time, ILogger logger, bool hadCleanShutdown, DataDirectoryCheckpoints checkpoints)
    {
        string directory = Path.Combine(dataDirectory, LogFileNames.PartitionDirectoryName(id));
        if (StoreFile.IsLink(directory))
        {
            // Every file of the partition would be outside the data directory, to be truncated and written.
            StorageLog.LinkRefused(logger, directory);
            StoreFile.RefuseLinkedDirectory(directory);
        }
        bool created = !System.IO.Directory.Exists(directory);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot create partition directory: {e.Message}", directory, e);
        }
        // A new directory has no past: what the checkpoints hold for its name is a deleted topic's.
        if (created)
            checkpoints.Forget(id);
        var log = new PartitionLog(id, directory, config, fileCache, time, logger) { CreatedDirectory = created, _checkpoints = checkpoints };
        LoadedLog loaded = LogLoader.Load(directory, id, config, fileCache, hadCleanShutdown, logger, checkpoints);
        log._segments.Reset(loaded.Segments);
        log._logStartOffset = loaded.LogStartOffset;
        log._logEndOffset = loaded.LogEndOffset;
        log._recoveryPoint = loaded.RecoveryPoint;
        log._snapshots = loaded.Snapshots;
        log._producerReplayEnd = loaded.LogEndOffset;
        log.LoadLeaderEpochs(readOnly: false, hadCleanShutdown);
        // What the checkpoint file holds, so that a close (or this open) rewrites it only when it would change: with
        // thousands of partitions, a rewrite (write, fsync, rename, directory fsync) of every unchanged checkpoint was
        // most of a clean close. No file means what the loader assumes without one.
        (log._checkpointedRecoveryPoint, log._checkpointedLogStartOffset) = loaded.Checkpoint ?? (0, loaded.Segments[0].BaseOffset);
        if (loaded.TruncationApplied)
        {
            try
            {
                log.CompleteTruncationAtOpen();
            }
            catch
            {
                foreach (LogSegment segment in loaded.Segments)
                    segment.Close();
                throw;
            }
        }
        // After an unclean stop nothing is flushed here: what recovery kept past the recovery point stays past it, so the
        // next flush fsyncs it with whatever is appended after it (a flush covers every segment from the recovery point),
        // and it was never acknowledged as durable before. An fsync and a checkpoint per partition were most of a restart
        // of thousands of partitions (benchmarks/RESULTS.md, "Many partitions"); opening also stays free of writes.
        LogStoreLog.PartitionLoaded(logger, id, loaded.Segments.Count, loaded.LogStartOffset, loaded.LogEndOffset, log._recoveryPoint);
        return log;
    }

    /// <summary>A snapshot of the segments for <see cref="Partition.Segments"/>.</summary>
    public IReadOnlyList<SegmentInfo> GetSegmentInfos()
    {
        while (true)
        {
            LogSegment[] segments = _segments.Snapshot;
            var infos = new SegmentInfo[segments.Length];
            int i = 0;
            for (; i < segments.Length; i++)
            {
                LogSegment s = segments[i];
                // Reading the largest timestamp may open the time index: a deleted segment's is gone.
                if (!s.TryAcquire())
                    break;
                try
                {
                    long next = i + 1 < segments.Length ? segments[i + 1].BaseOffset : LogEndOffset;
                    infos[i] = new SegmentInfo(s.BaseOffset, next, s.SizeInBytes, s.LargestTimestamp, s.Log.FilePath, s.OffsetIndex.Path, s.TimeIndex.Path);
                }
                finally
                {
                    s.Release();
                }
            }
            if (i == segments.Length)
                return infos;
        }
    }

    /// <summary>
    /// Flushes, writes the producer-state snapshot and the checkpoint and closes every segment: after this the partition
    /// reopens without recovery, and its producer state loads from the snapshot without replaying the log.
    /// Every segment is closed even when something fails.
    /// </summary>
    /// <exception cref="StorageException">The flush, the checkpoint or a segment's close failed: the partition is closed,
    /// but not cleanly, and must be recovered at the next open (the Broker then writes no clean-shutdown marker).</exception>
    public ValueTask DisposeAsync()
    {
        if (_readOnly)
        {
            CloseFollowed();
            return ValueTask.CompletedTask;
        }
        lock (_writeLock)
        {
            if (_closed)
                return ValueTask.CompletedTask;
            _closed = true;
            List<Exception>? errors = null;
            try
            {
                // The checkpoint is rewritten when it changed: after a clean shutdown the checkpointed recovery point is
                // where recovery may start cutting, so it must cover everything flushed here.
                Flush(LogEndOffset);
                lock (_flushLock)
                {
                    WriteCloseSnapshot();
                    if (MaybeWriteCheckpoint(force: true) is { } failed)
                        (errors ??= []).Add(failed);
                    else if (_checkpoints is not null)
                        _stagedVersion = _checkpoints.Stage(Id, _recoveryPoint, LogStartOffset, CheckpointedHighWatermark); // the final high watermark
                }
            }
            catch (StorageException e)
            {
                (errors ??= []).Add(e);
            }
            _snapshots?.Close();
            lock (_flushLock)
            {
                foreach (LogSegment segment in _segments.Snapshot)
                {
                    try
                    {
                        segment.Close();
                    }
                    catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
                    {
                        (errors ??= []).Add(e);
                    }
                }
            }
            WakeReaders();
            if (errors is not null)
            {
                return ValueTask.FromException(errors.Count == 1 && errors[0] is StorageException single ? single
                    : new StorageException($"{Id} could not be closed cleanly: {errors[0].Message}", Directory, new AggregateException(errors)));
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes without flushing and deletes the partition's directory (topic deletion).</summary>
    public void CloseAndDelete()
    {
        lock (_writeLock)
        {
            _closed = true;
            _snapshots?.Close();
            _checkpoints?.Forget(Id);
            lock (_flushLock)
            {
                foreach (LogSegment segment in _segments.Snapshot)
                    segment.Close();
            }
            WakeReaders();
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
            ThrowClosed();
    }

    private void ThrowClosed()
    {
        ThrowIfOffline();
        ThrowDisposed();
    }

    private void ThrowDisposed() =>
        throw new ObjectDisposedException($"partition {Id}", $"Partition {Id} is closed: its Broker was disposed or its topic deleted.");

    public override string ToString() => $"PartitionLog({Id})";
}
