using LogStore.Storage.Checkpoints;
using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

internal sealed partial class PartitionLog
{
    /// <summary>How often a long poll of a followed log looks for what the writer appended.</summary>
    internal static readonly TimeSpan FollowPollInterval = TimeSpan.FromMilliseconds(50);

    private readonly Lock _followLock = new();
    // Empty last segments past the log's end (a writer's recovery removes them; a reader leaves them be, unseen).
    private readonly HashSet<long> _strays = [];
    private DateTime _directoryChanged;
    private bool _readOnly;

    /// <summary>True for a log opened read-only beside the process that writes it (<see cref="Broker.OpenReadOnlyAsync"/>).</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>
    /// Opens a partition that another process may be writing, for reading only: nothing is created, written, renamed
    /// or deleted, no lock is taken, and nothing is recovered. The log shows what the writer's files hold up to the last
    /// complete batch, and <see cref="Follow"/> catches up with what the writer did since.
    /// </summary>
    public static PartitionLog OpenReadOnly(string dataDirectory, TopicPartition id, TopicConfig config, SegmentFileCache fileCache,
        TimeProvider time, ILogger logger, DataDirectoryCheckpoints checkpoints)
    {
        string directory = Path.Combine(dataDirectory, LogFileNames.PartitionDirectoryName(id));
        if (StoreFile.IsLink(directory))
        {
            StorageLog.LinkRefused(logger, directory);
            StoreFile.RefuseLinkedDirectory(directory);
        }
        var log = new PartitionLog(id, directory, config, fileCache, time, logger) { _readOnly = true, _checkpoints = checkpoints };
        log.Follow();
        log.LoadLeaderEpochs(readOnly: true, hadCleanShutdown: true);
        return log;
    }

    /// <summary>
    /// Catches up with the writer (a no-op for a log this process writes): segments it rolled or deleted, the log start
    /// it checkpointed, and the complete batches at the end of its last segment. Cheap: a directory listing, a checkpoint
    /// read and a scan of the batch headers appended since the last call.
    /// </summary>
    public void Follow()
    {
        if (!_readOnly)
            return;
        lock (_followLock)
        {
            if (_closed)
                return;
            SortedSet<long> onDisk = ListSegmentBaseOffsets();
            LogSegment[] current = _segments.Snapshot;
            var removed = new List<LogSegment>();
            foreach (LogSegment segment in current)
            {
                if (!onDisk.Remove(segment.BaseOffset))
                    removed.Add(segment);
            }
            onDisk.RemoveWhere(b => _strays.Contains(b) && new FileInfo(LogFileNames.LogFile(Directory, b)).Length == 0);
            if (removed.Count > 0 || onDisk.Count > 0)
            {
                var added = new List<LogSegment>(onDisk.Count);
                foreach (long baseOffset in onDisk)
                    added.Add(LogSegment.OpenFollowed(Directory, baseOffset, Config, _fileCache));
                _segments.Replace(removed, added);
                foreach (LogSegment segment in removed)
                    segment.Forget();
            }
            LogSegment[] segments = _segments.Snapshot;
            for (int i = 0; i < segments.Length - 1; i++)
                segments[i].Followed!.Seal();
            // A rename in the directory (the cleaner's swap among them) changes its modification time: only then can a file
            // have been replaced under a name already followed.
            DateTime changed = System.IO.Directory.GetLastWriteTimeUtc(Directory);
            if (changed != _directoryChanged)
            {
                _directoryChanged = changed;
                foreach (LogSegment segment in segments)
                    segment.Followed!.CheckReplaced();
            }
            if (IsStray(segments))
            {
                LogSegment stray = segments[^1];
                _strays.Add(stray.BaseOffset);
                _segments.Replace([stray], []);
                stray.Forget();
                segments = _segments.Snapshot;
            }
            (long RecoveryPoint, long LogStartOffset)? checkpoint = ReadCheckpointQuietly();
            long logEnd;
            if (segments.Length == 0)
            {
                logEnd = checkpoint?.RecoveryPoint ?? 0;
            }
            else
            {
                LogSegment last = segments[^1];
                last.Followed!.EnsureScanned();
                logEnd = last.Followed.NextOffset;
            }
            // Only forward: a reader that saw an offset never sees the log end move back below it, whatever the files say
            // for a moment (a swap in progress, a file being replaced).
            logEnd = Math.Max(logEnd, LogEndOffset);
            long logStart = Math.Max(checkpoint?.LogStartOffset ?? 0, segments.Length > 0 ? segments[0].BaseOffset : logEnd);
            Volatile.Write(ref _logEndOffset, logEnd);
            Volatile.Write(ref _logStartOffset, Math.Clamp(logStart, LogStartOffset, logEnd));
            _leaderEpochCache.TruncateFromStart(LogStartOffset);
            Volatile.Write(ref _recoveryPoint, logEnd);
        }
        WakeReaders();
    }

    /// <summary>
    /// An empty last segment that does not start where the one before it ends is no roll of the writer's (a roll starts
    /// the new segment at the log end): it is a stray file, which the writer's next open removes, and the reader ignores
    /// rather than take its base offset for the log end.
    /// </summary>
    private static bool IsStray(LogSegment[] segments)
    {
        if (segments.Length < 2 || segments[^1].SizeInBytes > 0)
            return false;
        LogSegment previous = segments[^2];
        previous.Followed!.EnsureScanned();
        return segments[^1].BaseOffset != previous.Followed.NextOffset;
    }

    private SortedSet<long> ListSegmentBaseOffsets()
    {
        var offsets = new SortedSet<long>();
        HashSet<string> names;
        try
        {
            // Links are left out of the listing, so a link named like a segment is never followed.
            names = StoreFile.ListFiles(Directory, []);
        }
        catch (Exception e) when (e is DirectoryNotFoundException)
        {
            return offsets;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot list the partition directory: {e.Message}", Directory, e);
        }
        foreach (string name in names)
        {
            if (LogFileNames.TryParseBaseOffset(name, LogFileNames.LogSuffix, out long baseOffset))
                offsets.Add(baseOffset);
        }
        return offsets;
    }

    private (long RecoveryPoint, long LogStartOffset)? ReadCheckpointQuietly()
    {
        try
        {
            return _checkpoints?.Follow(Id, Directory);
        }
        catch (StorageException)
        {
            // A link where the checkpoint should be: its numbers are not this partition's.
            return null;
        }
    }

    /// <summary>Closes a read-only log: nothing to flush or checkpoint, nothing on disk changes.</summary>
    private void CloseFollowed()
    {
        lock (_followLock)
        {
            _closed = true;
            foreach (LogSegment segment in _segments.Snapshot)
                segment.Forget();
        }
        WakeReaders();
    }

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
            throw new StoreReadOnlyException($"Partition {Id} was opened read-only: it cannot be written.", Directory);
    }
}
