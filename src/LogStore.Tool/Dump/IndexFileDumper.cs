using System.Buffers.Binary;
using System.Globalization;

namespace LogStore.Tool.Dump;

/// <summary>
/// Decodes a <c>.index</c> (8-byte entries: int32 relative offset, int32 position) or <c>.timeindex</c> (12-byte
/// entries: int64 timestamp, int32 relative offset), big-endian, offsets relative to the base offset of the file's
/// 20-digit name (relative when the name is not one); one line per entry in kafka-dump-log's words. An active index is preallocated and zero-filled past
/// its last entry: the entries end at the first all-zero slot (no real entry is all zeros), as LogStore and Kafka
/// count them. Reported as damage: a partial entry at the end, entries that do not increase, and non-zero bytes
/// after the zero-filled tail.
/// </summary>
internal static class IndexFileDumper
{
    public static DumpReport Dump(string path, SegmentFileKind kind, TextWriter output)
    {
        if (kind.BaseOffset is null)
            output.WriteLine("Base offset unknown (the file name is not a 20-digit offset): offsets are relative");
        long baseOffset = kind.BaseOffset ?? 0;
        byte[] bytes = ReadShared(path);
        int slots = bytes.Length / kind.EntrySize;
        int used = 0;
        while (used < slots && bytes.AsSpan(used * kind.EntrySize, kind.EntrySize).ContainsAnyExcept((byte)0))
            used++;
        string? problem = null;
        long previousOffset = -1;
        long previousOther = long.MinValue;
        for (int i = 0; i < used; i++)
        {
            ReadOnlySpan<byte> entry = bytes.AsSpan(i * kind.EntrySize, kind.EntrySize);
            long offset;
            long other;
            if (kind.Extension == SegmentFileKind.Index)
            {
                offset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(entry);
                other = BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
                output.WriteLine(Invariant($"offset: {offset} position: {other}"));
            }
            else
            {
                other = BinaryPrimitives.ReadInt64BigEndian(entry);
                offset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(entry[8..]);
                output.WriteLine(Invariant($"timestamp: {other} offset: {offset}"));
            }
            // Offset-index entries strictly increase in offset and position; time-index entries never go backwards.
            bool ordered = kind.Extension == SegmentFileKind.Index
                ? offset > previousOffset && other > previousOther && offset >= baseOffset && other >= 0
                : offset >= previousOffset && other >= previousOther && offset >= baseOffset;
            if (!ordered)
            {
                problem ??= Invariant($"entry {i} ({Describe(kind, offset, other)}) does not follow entry {i - 1} ({Describe(kind, previousOffset, previousOther)})");
                output.WriteLine(Invariant($"Invalid entry {i}: it does not follow the entry before it"));
            }
            previousOffset = offset;
            previousOther = other;
        }
        int tailStart = used * kind.EntrySize;
        int partial = bytes.Length % kind.EntrySize;
        if (bytes.AsSpan(tailStart, bytes.Length - partial - tailStart).IndexOfAnyExcept((byte)0) is int stray and >= 0)
        {
            problem ??= Invariant($"non-zero bytes at position {tailStart + stray}, after the zero-filled tail that starts at entry {used}");
            output.WriteLine(Invariant($"Found non-zero bytes at position {tailStart + stray}, after the zero-filled tail at entry {used}"));
        }
        if (partial > 0)
        {
            problem ??= Invariant($"Found {partial} invalid bytes at the end of {Path.GetFileName(path)}: a partial {kind.EntrySize}-byte entry");
            output.WriteLine(Invariant($"Found {partial} invalid bytes at the end of {Path.GetFileName(path)}: a partial {kind.EntrySize}-byte entry"));
        }
        return new DumpReport(problem);
    }

    /// <summary>The whole file, read while a Broker may hold it open for writing (its active segment's indexes).</summary>
    private static byte[] ReadShared(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        byte[] bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        return bytes;
    }

    private static string Describe(SegmentFileKind kind, long offset, long other) =>
        kind.Extension == SegmentFileKind.Index ? Invariant($"offset {offset}, position {other}") : Invariant($"timestamp {other}, offset {offset}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
