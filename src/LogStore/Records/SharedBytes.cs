using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LogStore.Records;

/// <summary>
/// Whether batches handed to one append share bytes. An append writes each batch's offsets into its buffer and writes
/// the buffers after the last one is stamped, so two batches over the same bytes would both reach the file with the
/// second one's offsets: offsets that go backwards in the log. Exact, without pinning: an array's bytes can only be
/// shared with the same array, so batches over arrays are grouped by their array and sorted by where they start; any
/// other batch (over a memory manager, which may wrap native memory or an array) is compared with every batch.
/// </summary>
internal static class SharedBytes
{
    private readonly record struct Region(int ArrayHash, byte[] Array, int Start, int End, int Index);

    /// <summary>True when two of <paramref name="batches"/> have a byte in common.</summary>
    public static bool Any(ReadOnlySpan<RecordBatch> batches)
    {
        if (batches.Length < 2)
            return false;
        Region[] rented = ArrayPool<Region>.Shared.Rent(batches.Length);
        try
        {
            int count = 0;
            for (int i = 0; i < batches.Length; i++)
            {
                if (MemoryMarshal.TryGetArray(batches[i].Memory, out ArraySegment<byte> segment))
                    rented[count++] = new Region(RuntimeHelpers.GetHashCode(segment.Array!), segment.Array!, segment.Offset, segment.Offset + segment.Count, i);
                else if (OverlapsAnother(batches, i))
                    return true;
            }
            Span<Region> regions = rented.AsSpan(0, count);
            // Batches laid out one after the other in one buffer (a bulk writer's, a request's) are in order already.
            bool inOrder = true;
            for (int i = 1; i < regions.Length && inOrder; i++)
                inOrder = Compare(regions[i - 1], regions[i]) <= 0;
            if (!inOrder)
                regions.Sort(static (a, b) => Compare(a, b));
            for (int runStart = 0; runStart < regions.Length;)
            {
                int runEnd = runStart + 1;
                while (runEnd < regions.Length && regions[runEnd].ArrayHash == regions[runStart].ArrayHash)
                    runEnd++;
                if (Overlap(regions[runStart..runEnd], batches))
                    return true;
                runStart = runEnd;
            }
            return false;
        }
        finally
        {
            ArrayPool<Region>.Shared.Return(rented, clearArray: true);
        }
    }

    private static int Compare(Region a, Region b) => a.ArrayHash != b.ArrayHash ? a.ArrayHash.CompareTo(b.ArrayHash) : a.Start.CompareTo(b.Start);

    /// <summary>Within regions of one array hash: neighbours by start when they have one array (the usual case), every
    /// pair otherwise (arrays whose hashes collide).</summary>
    private static bool Overlap(ReadOnlySpan<Region> run, ReadOnlySpan<RecordBatch> batches)
    {
        bool oneArray = true;
        foreach (Region region in run)
            oneArray &= ReferenceEquals(region.Array, run[0].Array);
        if (oneArray)
        {
            for (int i = 1; i < run.Length; i++)
            {
                if (run[i].Start < run[i - 1].End)
                    return true;
            }
            return false;
        }
        for (int i = 0; i < run.Length; i++)
        {
            for (int j = i + 1; j < run.Length; j++)
            {
                if (batches[run[i].Index].Memory.Span.Overlaps(batches[run[j].Index].Memory.Span))
                    return true;
            }
        }
        return false;
    }

    /// <summary>Whether batch <paramref name="index"/> shares a byte with any other, compared by their spans.</summary>
    private static bool OverlapsAnother(ReadOnlySpan<RecordBatch> batches, int index)
    {
        ReadOnlySpan<byte> bytes = batches[index].Memory.Span;
        for (int j = 0; j < batches.Length; j++)
        {
            if (j != index && bytes.Overlaps(batches[j].Memory.Span))
                return true;
        }
        return false;
    }
}
