using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Checkpoints;

/// <summary>
/// Kafka's per-data-directory offset checkpoints (its LogManager's): <c>recovery-point-offset-checkpoint</c> (what is
/// known flushed), <c>log-start-offset-checkpoint</c> and <c>replication-offset-checkpoint</c> (the high watermark: on
/// a single node the log end when the checkpoint was taken). Each file holds every partition of the store and is
/// written whole, replacing the partition's own <c>partition.checkpoint</c> of earlier versions.
/// </summary>
/// <remarks>
/// <para>Partitions stage their values (<see cref="Stage"/>) when they would have written their own checkpoint; a write
/// (<see cref="WriteThrough"/>) writes everything staged so far, so concurrent callers share one write, and a close of
/// every partition or the periodic checkpoint stages all and writes once.</para>
/// <para>Migration: a partition the files lack is read from its <c>partition.checkpoint</c>; that file is deleted once
/// the new files holding its values are durable.</para>
/// <para>After a crash: each file is replaced atomically, old or new. Entries that cannot be ours are ignored at load,
/// logged (<see cref="OffsetCheckpoints"/>), and so are those of partitions the store does not have
/// (<see cref="Retain"/>). A read-only store reads and never writes.</para>
/// <para>Thread-safety: all members are thread-safe; file writes are serialised.</para>
/// </remarks>
internal sealed class DataDirectoryCheckpoints
{
    public const string RecoveryPointFileName = "recovery-point-offset-checkpoint";
    public const string LogStartOffsetFileName = "log-start-offset-checkpoint";
    public const string ReplicationOffsetFileName = "replication-offset-checkpoint";

    private readonly FileSystem _files;
    private readonly string _dataDirectory;
    private readonly ILogger _logger;
    private readonly bool _readOnly;
    private readonly Lock _lock = new();
    private readonly Lock _writeLock = new();
    private readonly Dictionary<TopicPartition, long> _recoveryPoints;
    private readonly Dictionary<TopicPartition, long> _logStarts;
    private readonly Dictionary<TopicPartition, long> _highWatermarks;
    private readonly HashSet<string> _legacyFiles = [];
    // The text last written (or read) per file: an unchanged file is not rewritten, so an idle close costs no fsync.
    private readonly Dictionary<string, string> _onDisk = [];
    private long _version;          // of the recovery points and log starts
    private long _writtenVersion;
    private long _highWatermarkVersion;
    private long _writtenHighWatermarkVersion;
    private FollowedFile? _followedRecoveryPoints;
    private FollowedFile? _followedLogStarts;

    private DataDirectoryCheckpoints(FileSystem files, string dataDirectory, ILogger logger, bool readOnly)
    {
        _files = files;
        _dataDirectory = dataDirectory;
        _logger = logger;
        _readOnly = readOnly;
        _recoveryPoints = ReadFile(RecoveryPointFileName);
        _logStarts = ReadFile(LogStartOffsetFileName);
        _highWatermarks = ReadFile(ReplicationOffsetFileName);
    }

    /// <summary>Reads the files of <paramref name="dataDirectory"/>; missing or malformed ones count as empty.</summary>
    public static DataDirectoryCheckpoints Load(FileSystem files, string dataDirectory, ILogger logger, bool readOnly) =>
        new(files, dataDirectory, logger, readOnly);

    /// <summary>True while every partition closes: a partition's close only stages, and the broker writes once after.</summary>
    public bool ClosingAll { get; set; }

    /// <summary>
    /// The recovery point and log start of <paramref name="tp"/> at open: from the files, or else from the partition's
    /// <c>partition.checkpoint</c> (an older store), or null when neither knows it (recover everything).
    /// </summary>
    /// <param name="tp">The partition.</param>
    /// <param name="partitionDirectory">Its directory.</param>
    /// <param name="legacyFilePresent">Whether the partition's directory listing holds <c>partition.checkpoint</c>.</param>
    public (long RecoveryPoint, long LogStartOffset)? Get(TopicPartition tp, string partitionDirectory, bool legacyFilePresent)
    {
        lock (_lock)
        {
            if (legacyFilePresent && !_readOnly)
                _legacyFiles.Add(Path.Combine(partitionDirectory, LogFileNames.PartitionCheckpointFile));
            if (_recoveryPoints.TryGetValue(tp, out long recoveryPoint))
                return (recoveryPoint, _logStarts.GetValueOrDefault(tp));
            if (!legacyFilePresent || PartitionCheckpoint.Read(partitionDirectory) is not { } legacy)
                return null;
            // Kept with the others, so that the next write carries them over before the old file goes.
            _recoveryPoints[tp] = legacy.RecoveryPoint;
            _logStarts[tp] = legacy.LogStartOffset;
            _version++;
            return legacy;
        }
    }

    /// <summary>Drops what the files hold for <paramref name="tp"/>: its directory was just created, or deleted (an
    /// entry of a deleted topic must never apply to a new topic of the same name).</summary>
    public void Forget(TopicPartition tp)
    {
        lock (_lock)
        {
            if (_recoveryPoints.Remove(tp) | _logStarts.Remove(tp))
                _version++;
            if (_highWatermarks.Remove(tp))
                _highWatermarkVersion++;
        }
    }

    /// <summary>Drops, with a logged warning, the entries of partitions not in <paramref name="known"/> (called once the
    /// store has opened every topic).</summary>
    public void Retain(IReadOnlySet<TopicPartition> known)
    {
        lock (_lock)
        {
            foreach ((string file, Dictionary<TopicPartition, long> offsets) in Files())
            {
                foreach ((TopicPartition tp, long offset) in offsets.Where(e => !known.Contains(e.Key)).ToList())
                {
                    StorageLog.CheckpointEntryIgnored(_logger, file, tp.Topic, tp.Partition, offset, "the store has no such partition");
                    offsets.Remove(tp);
                    if (offsets == _highWatermarks)
                        _highWatermarkVersion++;
                    else
                        _version++;
                }
            }
        }
    }

    /// <summary>The high watermark of <paramref name="tp"/> in <c>replication-offset-checkpoint</c>, or null.</summary>
    public long? GetHighWatermark(TopicPartition tp)
    {
        lock (_lock)
            return _highWatermarks.TryGetValue(tp, out long highWatermark) ? highWatermark : null;
    }

    /// <summary>Records a partition's current values for the next write; returns the version a
    /// <see cref="WriteThrough"/> must reach to have written them.</summary>
    public long Stage(TopicPartition tp, long recoveryPoint, long logStartOffset, long highWatermark)
    {
        lock (_lock)
        {
            if (Set(_recoveryPoints, tp, recoveryPoint) | Set(_logStarts, tp, logStartOffset))
                _version++;
            if (Set(_highWatermarks, tp, highWatermark))
                _highWatermarkVersion++;
            return _version;
        }
    }

    /// <summary>Makes the recovery points and log starts staged up to <paramref name="version"/> durable (everything staged
    /// so far when omitted), and the high watermarks with <paramref name="highWatermarks"/>: returns at once when an
    /// earlier write already covered it. A partition's flush leaves the high watermarks to the periodic checkpoint and
    /// the close (Kafka's schedule too), so that it writes one file rather than two.</summary>
    /// <exception cref="StorageException">A file could not be written; what was staged stays staged for the next write.</exception>
    public void WriteThrough(long version = long.MaxValue, bool highWatermarks = true)
    {
        if (_readOnly)
            return;
        lock (_writeLock)
        {
            string[] legacy;
            long staged;
            long stagedHighWatermarks;
            var texts = new List<(string File, string Text)>(3);
            lock (_lock)
            {
                staged = _version;
                stagedHighWatermarks = _highWatermarkVersion;
                highWatermarks &= _writtenHighWatermarkVersion < stagedHighWatermarks;
                if (_writtenVersion >= Math.Min(version, staged) && !highWatermarks)
                    return;
                foreach ((string file, Dictionary<TopicPartition, long> offsets) in Files())
                {
                    if (highWatermarks || file != ReplicationOffsetFileName)
                        texts.Add((file, Format(offsets)));
                }
                legacy = [.. _legacyFiles];
            }
            foreach ((string file, string text) in texts)
            {
                if (_onDisk.GetValueOrDefault(file) == text)
                    continue;
                DurableFile.WriteAtomically(_files, Path.Combine(_dataDirectory, file), text);
                _onDisk[file] = text;
            }
            lock (_lock)
            {
                _writtenVersion = Math.Max(_writtenVersion, staged);
                if (highWatermarks)
                    _writtenHighWatermarkVersion = Math.Max(_writtenHighWatermarkVersion, stagedHighWatermarks);
                _legacyFiles.ExceptWith(legacy);
            }
            // The values are durable in the new files: the old ones would only mislead an older version of LogStore.
            foreach (string path in legacy)
                StoreFile.Delete(path);
        }
    }

    /// <summary>For a read-only store following a live writer: the recovery point and log start the writer last
    /// checkpointed for <paramref name="tp"/> (re-reading a file only when it changed), or from its
    /// <c>partition.checkpoint</c>.</summary>
    public (long RecoveryPoint, long LogStartOffset)? Follow(TopicPartition tp, string partitionDirectory)
    {
        lock (_lock)
        {
            _followedRecoveryPoints ??= new FollowedFile(RecoveryPointFileName);
            _followedLogStarts ??= new FollowedFile(LogStartOffsetFileName);
            if (_followedRecoveryPoints.Read(_files, _dataDirectory, _logger)?.TryGetValue(tp, out long recoveryPoint) == true)
                return (recoveryPoint, _followedLogStarts.Read(_files, _dataDirectory, _logger)?.GetValueOrDefault(tp) ?? 0);
        }
        return PartitionCheckpoint.Read(partitionDirectory);
    }

    private (string, Dictionary<TopicPartition, long>)[] Files() =>
        [(RecoveryPointFileName, _recoveryPoints), (LogStartOffsetFileName, _logStarts), (ReplicationOffsetFileName, _highWatermarks)];

    private Dictionary<TopicPartition, long> ReadFile(string file)
    {
        // A link where the file should be fails the open (a StorageException naming it), as a link standing for any
        // other file the store reads does: its numbers are not ours, and every checkpoint write would refuse it.
        Dictionary<TopicPartition, long> offsets = OffsetCheckpoints.Read(_files, _dataDirectory, file, _logger);
        _onDisk[file] = Format(offsets);
        return offsets;
    }

    private static bool Set(Dictionary<TopicPartition, long> offsets, TopicPartition tp, long value)
    {
        if (offsets.TryGetValue(tp, out long current) && current == value)
            return false;
        offsets[tp] = value;
        return true;
    }

    private static string Format(Dictionary<TopicPartition, long> offsets) =>
        CheckpointFile<KeyValuePair<TopicPartition, long>>.Format(OffsetCheckpointFile.Version,
            [.. offsets.OrderBy(e => e.Key.Topic, StringComparer.Ordinal).ThenBy(e => e.Key.Partition)], OffsetCheckpointFile.Formatter);

    /// <summary>A file of the writer's as last read, re-read when its size or modification time changes.</summary>
    private sealed class FollowedFile(string fileName)
    {
        private (DateTime, long)? _stamp;
        private Dictionary<TopicPartition, long>? _offsets;

        public Dictionary<TopicPartition, long>? Read(FileSystem files, string dataDirectory, ILogger logger)
        {
            var info = new FileInfo(Path.Combine(dataDirectory, fileName));
            if (!info.Exists)
                return null;
            (DateTime, long) stamp = (info.LastWriteTimeUtc, info.Length);
            if (stamp != _stamp || _offsets is null)
            {
                try
                {
                    _offsets = OffsetCheckpoints.Read(files, dataDirectory, fileName, logger);
                }
                catch (StorageException)
                {
                    _offsets = [];
                }
                _stamp = stamp;
            }
            return _offsets;
        }
    }
}
