using LogStore.Storage.Checkpoints;
using LogStore.Diagnostics;
using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using LogStore.Storage.Producers;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>What <see cref="LogLoader.Load"/> hands to the partition log.</summary>
internal sealed record LoadedLog(List<LogSegment> Segments, long LogStartOffset, long LogEndOffset, long RecoveryPoint, ProducerSnapshots Snapshots)
{
    /// <summary>The recovery point and log start the checkpoints held at open, or null.</summary>
    public (long RecoveryPoint, long LogStartOffset)? Checkpoint { get; init; }

    /// <summary>True when a <see cref="TruncationMarker"/> was applied: the partition log makes its checkpoint durable
    /// and then deletes the marker.</summary>
    public bool TruncationApplied { get; init; }
}

/// <summary>
/// Opens a partition directory and, after an unclean stop, recovers it (Kafka's LogLoader). Leftover temporary
/// files are removed; every segment from the one holding the checkpointed recovery point on is validated batch by
/// batch; indexes that are missing are rebuilt, and so are those of the validated segments unless a rolled segment's
/// indexes agree with its batches (then they are kept untouched). Segments before the recovery point are trusted and
/// not read at all, so opening costs nothing per flushed segment. After a clean shutdown nothing is recovered, but the
/// active segment's tail (the batches after its last index entry, CRC included) is checked, and the segment is
/// recovered when that tail is damaged, and a stray empty last segment past the log's end is removed. Producer-state
/// snapshots above the recovered log's end (their state holds batches that were cut), below its start, and all but the
/// newest two are deleted; the partition log reads the newest one when it first needs the producer state.
/// </summary>
/// <remarks>
/// <para>Nothing below the recovery point (everything, after a clean shutdown) is ever cut or deleted: damage there is
/// reported (a log event naming the file and byte position, the <c>logstore.corruption.detected</c> metric, a
/// <see cref="CorruptRecordException"/> on reading it), its bytes stay for salvage, and a damaged last segment is left
/// read-only: the next append rolls a new one. Invalid bytes past the recovery point were never acknowledged as durable:
/// they are cut, and kept beside their segment (<see cref="FileRecords.CutTail"/>), as are whole segments after them.
/// The log end never moves below the recovery point, nor below any offset a damaged segment may hold
/// (<see cref="LogSegment.FindEndPastDamage"/>), so no offset is handed out twice.</para>
/// <para>Recovery never appends; appends never repair. Opening writes nothing that needs free space (see
/// <see cref="IndexFile"/> and <see cref="PartitionLog.Flush(long)"/>), so a broker opens on a full disk.</para>
/// </remarks>
internal static partial class LogLoader
{
    public static LoadedLog Load(string directory, TopicPartition tp, TopicConfig config, SegmentFileCache cache, bool hadCleanShutdown, ILogger logger,
        DataDirectoryCheckpoints checkpoints)
    {
        // One listing serves every question about which files exist: a stat per file would cost 2,000 segments
        // thousands of system calls at open. Links are told apart by the listing itself.
        HashSet<string> names = ListFiles(directory, logger);
        var checkpoint = checkpoints.Get(tp, directory, names.Contains(LogFileNames.PartitionCheckpointFile));
        if (CompleteOrAbortSwap(directory, names, cache.Files, logger))
            names = ListFiles(directory, logger);
        RemoveLeftovers(directory, names, logger);

        var segments = new List<LogSegment>();
        try
        {
            foreach (long baseOffset in SegmentBaseOffsets(names))
                segments.Add(LogSegment.Open(directory, baseOffset, config, cache, create: false, active: false));
            TruncationMarker? truncation = names.Contains(TruncationMarker.FileName) ? TruncationMarker.Read(directory) : null;
            if (truncation is { } marker)
                checkpoint = ApplyTruncation(marker, segments, checkpoint, tp, logger);

            long logStartOffset = checkpoint?.LogStartOffset ?? (segments.Count > 0 ? segments[0].BaseOffset : 0);
            if (segments.Count == 0)
            {
                // A new partition, or one whose segment files were all deleted: then the checkpoint says where records
                // ended, and the log restarts there, so that no offset is ever handed out twice.
                if (checkpoint is { } known && known.RecoveryPoint > logStartOffset)
                {
                    StorageLog.SegmentsMissing(logger, tp, known.RecoveryPoint);
                    logStartOffset = known.RecoveryPoint;
                }
                segments.Add(LogSegment.Open(directory, logStartOffset, config, cache, create: true, active: true));
            }
            if (hadCleanShutdown)
                RemoveStrayEmptySegments(segments, checkpoint?.RecoveryPoint, tp, logger);

            foreach (LogSegment segment in segments)
            {
                string prefix = LogFileNames.FileNamePrefix(segment.BaseOffset);
                bool indexesExist = names.Contains(prefix + LogFileNames.IndexSuffix) && names.Contains(prefix + LogFileNames.TimeIndexSuffix);
                if (!indexesExist)
                {
                    // An empty segment (a new partition's first) gets empty indexes: after a clean shutdown nothing
                    // else creates them before the active segment's indexes are validated below.
                    segment.RebuildIndexes();
                    if (segment.SizeInBytes > 0)
                        LogStoreLog.IndexRebuilt(logger, segment.Log.FilePath);
                }
            }

            // What may be cut: after a clean shutdown the checkpoint holds the log end at the close (a torn write that a
            // full disk left past it was never acknowledged), or, without one, everything on disk was flushed.
            long recoveryPoint = hadCleanShutdown ? checkpoint?.RecoveryPoint ?? long.MaxValue : checkpoint?.RecoveryPoint ?? 0;
            SegmentDamage? damage = hadCleanShutdown
                ? RecoverDamagedTail(segments[^1], recoveryPoint, tp, logger)
                : Recover(segments, recoveryPoint, tp, logger);

            LogSegment active = segments[^1];
            active.EnsureIndexesValid();
            long logEndOffset;
            if (damage is { } found)
            {
                // Left read-only: the next append rolls a new segment at the log end, which is past the segment's base
                // offset even when nothing of it could be read (damage at its first byte).
                active.OnBecomeInactive();
                logEndOffset = Math.Max(found.KnownEnd, active.BaseOffset + 1);
            }
            else
            {
                active.MakeActive();
                logEndOffset = Math.Max(active.ReadNextOffset(), active.BaseOffset);
            }
            logEndOffset = KeepAboveRecoveryPoint(active, logEndOffset, checkpoint?.RecoveryPoint ?? 0, tp, logger);
            logStartOffset = Math.Clamp(logStartOffset, segments[0].BaseOffset, logEndOffset);
            // After recovery the scanned tail is valid but maybe not on disk yet: the partition log flushes it at once.
            recoveryPoint = hadCleanShutdown ? logEndOffset : Math.Min(recoveryPoint, logEndOffset);
            var snapshots = new ProducerSnapshots(directory, names, cache.Files, tp, logger);
            if (truncation is { Full: true })
                snapshots.DeleteAll();
            snapshots.Retain(logStartOffset, logEndOffset);
            return new LoadedLog(segments, logStartOffset, logEndOffset, recoveryPoint, snapshots)
            {
                Checkpoint = checkpoint,
                TruncationApplied = truncation is not null,
            };
        }
        catch
        {
            foreach (LogSegment segment in segments)
                segment.Close();
            throw;
        }
    }

    /// <summary>
    /// The log end never moves below the checkpointed recovery point: when the last segment ends below it, durable
    /// records are missing (a file shortened behind the store's back). They are reported, and the last segment is left
    /// read-only so that the next append rolls a new one at the recovery point; reading the missing offsets fails with
    /// <see cref="CorruptRecordException"/>.
    /// </summary>
    private static long KeepAboveRecoveryPoint(LogSegment active, long logEndOffset, long durableEnd, TopicPartition tp, ILogger logger)
    {
        if (logEndOffset >= durableEnd)
            return logEndOffset;
        StorageLog.DurableRecordsMissing(logger, tp, logEndOffset, durableEnd, active.Log.FilePath);
        LogStoreMetrics.RecordCorruption(tp, "open");
        if (active.OffsetIndex.IsWritable)
            active.OnBecomeInactive();
        return durableEnd;
    }

    private static List<long> SegmentBaseOffsets(HashSet<string> names)
    {
        var offsets = new List<long>();
        foreach (string name in names)
        {
            if (LogFileNames.TryParseBaseOffset(name, LogFileNames.LogSuffix, out long baseOffset))
                offsets.Add(baseOffset);
        }
        offsets.Sort();
        return offsets;
    }

    /// <summary>
    /// The names of the partition's files. A link (or, found later at its open, a special file) under a name the
    /// loader reads or writes — a segment's files, a swap, the checkpoint, a producer-state snapshot — is damage: the partition does not open, and
    /// neither the link nor its target is touched. A link where the loader would only delete a leftover, or under a name
    /// it never uses, is left in place, logged, and otherwise ignored.
    /// </summary>
    /// <exception cref="StorageException">A link stands where a file of the partition should be.</exception>
    private static HashSet<string> ListFiles(string directory, ILogger logger)
    {
        var links = new List<string>();
        HashSet<string> names = StoreFile.ListFiles(directory, links);
        foreach (string name in links)
        {
            string path = Path.Combine(directory, name);
            bool used = name == LogFileNames.PartitionCheckpointFile || name == LogFileNames.PartitionMetadataFile
                || name == TruncationMarker.FileName
                || name == Checkpoints.LeaderEpochCheckpointFile.FileName || TryParseSegmentFile(name, "", out _, out _)
                || TryParseSegmentFile(name, LogFileNames.SwapSuffix, out _, out _)
                || LogFileNames.TryParseBaseOffset(name, LogFileNames.ProducerSnapshotSuffix, out _);
            if (!used)
            {
                StorageLog.LinkLeftInPlace(logger, path);
                continue;
            }
            StorageLog.LinkRefused(logger, path);
            throw StoreFile.NotRegularFile(path, "a symbolic link");
        }
        return names;
    }

    /// <summary>Temporary and half-deleted files, and indexes whose log is gone, are what interrupted work leaves.</summary>
    private static void RemoveLeftovers(string directory, HashSet<string> names, ILogger logger)
    {
        foreach (string name in names.ToArray())
        {
            string file = Path.Combine(directory, name);
            bool leftover = name.EndsWith(LogFileNames.TempSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.CleanedSuffix, StringComparison.Ordinal);
            if (!leftover && (name.EndsWith(LogFileNames.IndexSuffix, StringComparison.Ordinal) || name.EndsWith(LogFileNames.TimeIndexSuffix, StringComparison.Ordinal)))
            {
                leftover = !names.Contains(Path.GetFileNameWithoutExtension(name) + LogFileNames.LogSuffix);
            }
            if (leftover)
            {
                File.Delete(file);
                names.Remove(name);
                LogStoreLog.LeftoverRemoved(logger, file);
            }
        }
    }
}
