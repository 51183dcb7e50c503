using System.Buffers.Binary;
using LogStore.Retention;
using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>
/// Finishes or undoes a compaction swap that a crash interrupted (Kafka's LogLoader handling of <c>.cleaned</c> and
/// <c>.swap</c> files), before the segments are opened; see <see cref="PartitionLog.ReplaceSegments"/> for the order
/// of the swap's steps.
/// </summary>
/// <remarks>
/// <para>Cleaned files are renamed to <c>.swap</c> in descending offset order, so while any <c>.cleaned</c> file remains,
/// every <c>.swap</c> file at or above the lowest <c>.cleaned</c> offset belongs to an unfinished rename: all of them are
/// deleted and the old segments stay. The <c>.swap</c> files left after that form a committed swap: the old segments
/// whose base offsets fall in a <c>.swap</c> log's range [its base offset, the end of its last batch) are deleted and the
/// <c>.swap</c> files get their final names. A cleaned segment always keeps its group's last batch (empty if need be), so
/// that range reaches to the end of the last old segment it replaced.</para>
/// </remarks>
internal static partial class LogLoader
{
    /// <summary>Finishes or undoes an interrupted swap among <paramref name="names"/> (the partition's files, links
    /// excluded); returns whether it changed any file.</summary>
    private static bool CompleteOrAbortSwap(string directory, HashSet<string> names, FileSystem files, ILogger logger)
    {
        var cleaned = new List<string>();
        var swaps = new List<(string File, long BaseOffset)>();
        long minCleaned = long.MaxValue;
        foreach (string name in names)
        {
            string file = Path.Combine(directory, name);
            if (name.EndsWith(LogFileNames.CleanedSuffix, StringComparison.Ordinal))
            {
                cleaned.Add(file);
                if (TryParseSegmentFile(name, LogFileNames.CleanedSuffix, out long baseOffset, out _))
                    minCleaned = Math.Min(minCleaned, baseOffset);
            }
            else if (name.EndsWith(LogFileNames.SwapSuffix, StringComparison.Ordinal) && TryParseSegmentFile(name, LogFileNames.SwapSuffix, out long baseOffset, out _))
            {
                swaps.Add((file, baseOffset));
            }
        }
        if (cleaned.Count == 0 && swaps.Count == 0)
            return false;

        int discarded = cleaned.Count;
        foreach (string file in cleaned)
            File.Delete(file);
        var committed = new List<(string File, long BaseOffset)>();
        foreach ((string file, long baseOffset) in swaps)
        {
            if (baseOffset >= minCleaned)
            {
                File.Delete(file);
                discarded++;
            }
            else
            {
                committed.Add((file, baseOffset));
            }
        }
        if (discarded > 0)
            RetentionLog.SwapAborted(logger, directory, discarded);
        if (committed.Count == 0)
            return discarded > 0;

        var replaced = new List<(long From, long To)>();
        foreach ((string file, long baseOffset) in committed)
        {
            if (file.EndsWith(LogFileNames.LogSuffix + LogFileNames.SwapSuffix, StringComparison.Ordinal))
                replaced.Add((baseOffset, ReadNextOffset(file, baseOffset)));
        }
        foreach (string name in names)
        {
            if (TryParseSegmentFile(name, "", out long baseOffset, out _)
                && replaced.Exists(r => baseOffset >= r.From && baseOffset < r.To))
            {
                File.Delete(Path.Combine(directory, name));
            }
        }
        foreach ((string file, _) in committed)
            files.Move(file, file[..^LogFileNames.SwapSuffix.Length]);
        DurableFile.FsyncDirectory(files, directory);
        RetentionLog.SwapCompleted(logger, directory, committed.Count, committed.Min(c => c.BaseOffset));
        return true;
    }

    /// <summary>Parses <c>&lt;20 digits&gt;.log|.index|.timeindex</c> followed by exactly <paramref name="suffix"/>.</summary>
    private static bool TryParseSegmentFile(string name, string suffix, out long baseOffset, out string kind)
    {
        baseOffset = 0;
        kind = "";
        if (!name.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        string stem = name[..^suffix.Length];
        foreach (string candidate in (ReadOnlySpan<string>)[LogFileNames.LogSuffix, LogFileNames.IndexSuffix, LogFileNames.TimeIndexSuffix])
        {
            if (LogFileNames.TryParseBaseOffset(stem, candidate, out baseOffset))
            {
                kind = candidate;
                return true;
            }
        }
        return false;
    }

    /// <summary>The offset after the last whole batch of a log file, from the batch headers alone (the file was fsynced
    /// before it was renamed, so it holds whole batches).</summary>
    private static long ReadNextOffset(string logFile, long baseOffset)
    {
        long next = baseOffset;
        using FileStream stream = StoreFile.Open(logFile, FileMode.Open, FileAccess.Read);
        long length = stream.Length;
        Span<byte> header = stackalloc byte[RecordBatch.HeaderSize];
        for (long position = 0; position + RecordBatch.HeaderSize <= length;)
        {
            if (RandomAccess.Read(stream.SafeFileHandle, header, position) < RecordBatch.HeaderSize)
                break;
            int size = RecordBatch.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(header[RecordBatch.BatchLengthOffset..]);
            if (size < RecordBatch.HeaderSize || position + size > length)
                break;
            next = BinaryPrimitives.ReadInt64BigEndian(header) + BinaryPrimitives.ReadInt32BigEndian(header[RecordBatch.LastOffsetDeltaOffset..]) + 1;
            position += size;
        }
        return next;
    }
}
