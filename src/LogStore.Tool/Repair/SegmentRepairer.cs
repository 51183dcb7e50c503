using LogStore.Storage;
using LogStore.Storage.Files;

namespace LogStore.Tool.Repair;

/// <summary>What <c>logstore repair</c> did to one segment.</summary>
/// <param name="LogFile">The segment's <c>.log</c>.</param>
/// <param name="Position">Where it was cut: its first invalid byte.</param>
/// <param name="BytesCut">How many bytes were cut (from there to the end of the file).</param>
/// <param name="Reason">What is wrong at that position.</param>
/// <param name="CutFile">Where the bytes cut are kept.</param>
internal sealed record SegmentRepair(string LogFile, int Position, int BytesCut, string Reason, string CutFile);

/// <summary>
/// The operator's repair of a closed data directory: each segment's <c>.log</c> is validated batch by batch from its
/// start as recovery validates it (length, magic, CRC, increasing offsets) and cut at its first invalid byte, after the
/// bytes from there to the end of the file were copied, fsynced, into <c>&lt;segment&gt;.log.cut-&lt;position&gt;</c> beside
/// it. The segment's indexes, and the producer-state snapshots past its start, are deleted, so the next open rebuilds
/// them from what is left. The caller holds the
/// directory's lock, so no Broker has the files open. Never deletes a segment, and never touches the <c>.cut-</c> files.
/// </summary>
internal static class SegmentRepairer
{
    /// <summary>The partition directories to repair, in name order: every one, those of <paramref name="topic"/>, or
    /// the one of <paramref name="topic"/> and <paramref name="partition"/>.</summary>
    public static List<string> PartitionDirectories(string dataDirectory, string? topic, int? partition)
    {
        var found = new List<string>();
        foreach (string directory in Directory.EnumerateDirectories(dataDirectory))
        {
            if (!LogFileNames.TryParsePartitionDirectory(Path.GetFileName(directory), out TopicPartition tp))
                continue;
            if ((topic is null || tp.Topic == topic) && (partition is null || tp.Partition == partition))
                found.Add(directory);
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>The base offsets of the segments of a partition directory, in order.</summary>
    public static List<long> SegmentBaseOffsets(string partitionDirectory)
    {
        var offsets = new List<long>();
        foreach (string file in Directory.EnumerateFiles(partitionDirectory))
        {
            if (LogFileNames.TryParseBaseOffset(Path.GetFileName(file), LogFileNames.LogSuffix, out long baseOffset))
                offsets.Add(baseOffset);
        }
        offsets.Sort();
        return offsets;
    }

    /// <summary>Cuts one segment at its first invalid byte, keeping what it cuts; null when it is valid to its end.</summary>
    /// <exception cref="StorageException">The copy could not be written (the segment is then unchanged), or the file
    /// could not be read or cut.</exception>
    public static SegmentRepair? Repair(string partitionDirectory, long baseOffset)
    {
        string logFile = LogFileNames.LogFile(partitionDirectory, baseOffset);
        SegmentRepair repair;
        using (FileRecords log = FileRecords.Open(logFile, create: false, active: false, cache: null))
        {
            (int valid, string? reason) = LogSegment.FindFirstInvalidByte(log, baseOffset);
            int size = log.SizeInBytes;
            if (valid >= size)
                return null;
            string cut = log.CutTail(valid);
            repair = new SegmentRepair(logFile, valid, size - valid, reason ?? "invalid batch", cut);
        }
        // Derived from the log, and maybe pointing into what was cut: the next open rebuilds them.
        File.Delete(LogFileNames.IndexFile(partitionDirectory, baseOffset));
        File.Delete(LogFileNames.TimeIndexFile(partitionDirectory, baseOffset));
        DeleteProducerSnapshotsAbove(partitionDirectory, baseOffset);
        return repair;
    }

    /// <summary>
    /// Producer-state snapshots past the cut segment's start may hold batches that were cut: believed, a producer's retry
    /// of such a batch would be answered with the offsets of records that are gone. They are deleted; the next open
    /// rebuilds the state from an older snapshot or the segments. A link under such a name is left (the open refuses it).
    /// </summary>
    private static void DeleteProducerSnapshotsAbove(string partitionDirectory, long baseOffset)
    {
        foreach (string file in Directory.EnumerateFiles(partitionDirectory, "*" + LogFileNames.ProducerSnapshotSuffix))
        {
            if (LogFileNames.TryParseBaseOffset(Path.GetFileName(file), LogFileNames.ProducerSnapshotSuffix, out long offset) && offset > baseOffset)
            {
                try
                {
                    StoreFile.Delete(file);
                }
                catch (StorageException)
                {
                    // A link: never removed by LogStore, and refused by the next open, so it is never read either.
                }
            }
        }
    }
}
