using System.Diagnostics;
using LogStore.Diagnostics;
using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>What <see cref="LogLoader.Load"/> hands to the partition log.</summary>
internal sealed record LoadedLog(List<LogSegment> Segments, long LogStartOffset, long LogEndOffset, long RecoveryPoint);

/// <summary>
/// Opens a partition directory and, after an unclean stop, recovers it (Kafka's LogLoader). Leftover temporary
/// files are removed; every segment from the one holding the checkpointed recovery point on is validated batch by
/// batch and truncated at the first invalid byte, and segments after a damaged one are deleted; indexes that are
/// missing are rebuilt, and so are those of the validated segments unless a rolled segment's indexes agree with its
/// batches (then they are kept untouched). Segments before the recovery point are trusted and not read at all, so opening costs
/// nothing per flushed segment. After a clean shutdown nothing is recovered, but the active segment's tail (the batches
/// after its last index entry, CRC included) is checked, and the segment is recovered when that tail is damaged: a file
/// changed after the close must not make reads fail or appends land behind garbage. Recovery never appends; appends
/// never repair. Opening writes nothing that needs free space (see <see cref="IndexFile"/> and
/// <see cref="PartitionLog.Flush(long)"/>), so a broker opens on a full disk.
/// </summary>
internal static partial class LogLoader
{
    public static LoadedLog Load(string directory, TopicPartition tp, TopicConfig config, SegmentFileCache cache, bool hadCleanShutdown, ILogger logger)
    {
        // One listing serves every question about which files exist: a stat per file would cost 2,000 segments
        // thousands of system calls at open. Links are told apart by the listing itself.
        HashSet<string> names = ListFiles(directory, logger);
        var checkpoint = PartitionCheckpoint.Read(directory);
        if (CompleteOrAbortSwap(directory, names, cache.Files, logger))
            names = ListFiles(directory, logger);
        RemoveLeftovers(directory, names, logger);

        var segments = new List<LogSegment>();
        try
        {
            foreach (long baseOffset in SegmentBaseOffsets(names))
                segments.Add(LogSegment.Open(directory, baseOffset, config, cache, create: false, active: false));

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

            long recoveryPoint = hadCleanShutdown ? long.MaxValue : checkpoint?.RecoveryPoint ?? 0;
            if (!hadCleanShutdown)
                Recover(segments, recoveryPoint, tp, logger);
            else
                RecoverDamagedTail(segments[^1], logger);

            LogSegment active = segments[^1];
            active.EnsureIndexesValid();
            active.MakeActive();
            long logEndOffset = Math.Max(active.ReadNextOffset(), active.BaseOffset);
            logStartOffset = Math.Clamp(logStartOffset, segments[0].BaseOffset, logEndOffset);
            // After recovery the scanned tail is valid but maybe not on disk yet: the partition log flushes it at once.
            recoveryPoint = Math.Min(recoveryPoint, logEndOffset);
            return new LoadedLog(segments, logStartOffset, logEndOffset, recoveryPoint);
        }
        catch
        {
            foreach (LogSegment segment in segments)
                segment.Close();
            throw;
        }
    }

    private static void Recover(List<LogSegment> segments, long recoveryPoint, TopicPartition tp, ILogger logger)
    {
        var watch = Stopwatch.StartNew();
        int first = Math.Max(0, LogSegments.FloorIndex([.. segments], recoveryPoint));
        int scanned = 0;
        long nextOffset = first > 0 ? segments[first].BaseOffset : 0;
        for (int i = first; i < segments.Count; i++)
        {
            LogSegment segment = segments[i];
            bool last = i == segments.Count - 1;
            scanned++;
            bool damaged = false;
            // A rolled segment whose batches and indexes all check out keeps its index files untouched.
            if (last || !segment.TryValidateKeepingIndexes())
            {
                segment.MakeActive();
                RecoveryResult result = segment.Recover();
                damaged = result.BytesDropped > 0;
                if (damaged)
                    LogStoreLog.SegmentTruncated(logger, segment.Log.FilePath, result.ValidBytes, result.BytesDropped, result.Reason ?? "invalid batch");
                if (!last)
                    segment.OnBecomeInactive();
            }
            long segmentEnd = segment.ReadNextOffset();
            nextOffset = Math.Max(nextOffset, segmentEnd);
            // Whatever follows damage, or records that never reached the disk, was written after them, and a next
            // segment that starts below this one's end overlaps it: none of it can be trusted.
            if (!last && (damaged || segments[i + 1].BaseOffset < nextOffset || LostItsTail(segment, segmentEnd, segments[i + 1], tp, logger)))
            {
                DeleteFrom(segments, i + 1, tp, logger);
                segment.MakeActive();
                break;
            }
        }
        LogStoreLog.PartitionRecovered(logger, tp, scanned, watch.ElapsedMilliseconds);
    }

    /// <summary>
    /// Whether a segment of dense offsets ends (at <paramref name="end"/>) before the next one begins. A power loss
    /// can drop a rolled segment's last records cleanly, leaving no invalid byte to find: the file is just shorter.
    /// Dense offsets have no room for a gap, and anything after lost records was never acknowledged as durable (a
    /// flush covers every segment below its offset), so the log ends there.
    /// </summary>
    private static bool LostItsTail(LogSegment segment, long end, LogSegment next, TopicPartition tp, ILogger logger)
    {
        if (!segment.HasDenseOffsets || end >= next.BaseOffset)
            return false;
        StorageLog.SegmentEndsBeforeNext(logger, tp, segment.BaseOffset, end, next.BaseOffset);
        return true;
    }

    private static void RecoverDamagedTail(LogSegment active, ILogger logger)
    {
        if (active.ValidateTail() is not { } damage)
            return;
        StorageLog.DamagedTailAfterCleanShutdown(logger, active.Log.FilePath, damage);
        active.MakeActive();
        RecoveryResult result = active.Recover();
        if (result.BytesDropped > 0)
            LogStoreLog.SegmentTruncated(logger, active.Log.FilePath, result.ValidBytes, result.BytesDropped, result.Reason ?? damage);
    }

    private static void DeleteFrom(List<LogSegment> segments, int index, TopicPartition tp, ILogger logger)
    {
        for (int j = segments.Count - 1; j >= index; j--)
        {
            LogStoreLog.SegmentDeletedAfterDamage(logger, segments[j].Log.FilePath, segments[j].SizeInBytes, tp);
            segments[j].DeleteFiles();
            segments.RemoveAt(j);
        }
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
    /// loader reads or writes — a segment's files, a swap, the checkpoint — is damage: the partition does not open, and
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
            bool used = name == LogFileNames.PartitionCheckpointFile || TryParseSegmentFile(name, "", out _, out _)
                || TryParseSegmentFile(name, LogFileNames.SwapSuffix, out _, out _);
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
