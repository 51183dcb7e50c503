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
    private readonly record struct Region(int OwnerHash, object? Owner, int Start, int End, int Index);

    /// <summary>True when two of <paramref name="batches"/> have a byte in common.</summary>
    public static bool Any(ReadOnlySpan<RecordBatch> batches)
    {
        if (batches.Length < 2)
            return false;
        Region[] regions = ArrayPool<Region>.Shared.Rent(batches.Length);
        try
        {
            for (int i = 0; i < batches.Length; i++)
            {
                regions[i] = RegionOf(batches[i].Memory, i);
                // Memory that is no array's may still be over an array (a manager wrapping one): compared with every
                // other batch by its bytes.
                if (regions[i].Owner is null && OverlapsAnother(batches, i))
                    return true;
            }
            Span<Region> sorted = regions.AsSpan(0, batches.Length);
            // Batches laid out one after the other in one buffer (a bulk writer's, a request's) are in order already.
            bool inOrder = true;
            for (int i = 1; i < sorted.Length && inOrder; i++)
                inOrder = Compare(sorted[i - 1], sorted[i]) <= 0;
            if (!inOrder)
                sorted.Sort(static (a, b) => Compare(a, b));
            for (int runStart = 0; runStart < sorted.Length;)
            {
                int runEnd = runStart + 1;
                while (runEnd < sorted.Length && sorted[runEnd].OwnerHash == sorted[runStart].OwnerHash)
                    runEnd++;
                if (Overlap(sorted[runStart..runEnd], batches))
                    return true;
                runStart = runEnd;
            }
            return false;
        }
        finally
        {
            ArrayPool<Region>.Shared.Return(regions, clearArray: true);
        }
    }

    private static int Compare(Region a, Region b) => a.OwnerHash != b.OwnerHash ? a.OwnerHash.CompareTo(b.OwnerHash) : a.Start.CompareTo(b.Start);

    /// <summary>Within regions of one owner hash: neighbours by start when they have one array (the usual case), every
    /// pair by their spans otherwise (arrays whose hashes collide).</summary>
    private static bool Overlap(ReadOnlySpan<Region> run, ReadOnlySpan<RecordBatch> batches)
    {
        bool oneOwner = true;
        foreach (Region region in run)
            oneOwner &= region.Owner is not null && ReferenceEquals(region.Owner, run[0].Owner);
        if (oneOwner)
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

    private static Region RegionOf(ReadOnlyMemory<byte> memory, int index)
    {
        if (MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment))
            return new Region(RuntimeHelpers.GetHashCode(segment.Array!), segment.Array, segment.Offset, segment.Offset + segment.Count, index);
        // Not an array's: no owner (compared with every batch, see Any), empty, so it meets nothing in the sorted pass.
        return new Region(0, null, 0, 0, index);
    }
}
