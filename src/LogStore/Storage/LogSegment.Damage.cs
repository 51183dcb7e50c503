using System.Buffers;
using System.Buffers.Binary;

namespace LogStore.Storage;

internal sealed partial class LogSegment
{
    private const int ResyncChunk = 256 * 1024;

    /// <summary>
    /// How far the offsets of this segment may reach, given damage at <paramref name="position"/> where the chain of
    /// batches expected offset <paramref name="nextExpected"/>: the largest next offset of any valid batch after the
    /// damage, found by resynchronising on the next position that holds a CRC-valid batch at offsets at or above the
    /// last known ones (a flipped length field hides where the next batch starts), then following the chain from
    /// there, and again after each later damage. Reads only; used at open so that the log continues past every offset
    /// the damaged segment may hold and no offset is handed out twice. The damaged batch's own header counts when it is
    /// plausible: raising the end can only leave offsets unused, never hand one out twice.
    /// </summary>
    /// <remarks>Costs a read of the rest of the segment, and a CRC check only at positions whose header is plausible
    /// (magic, length, offsets inside the segment's range): damage is rare, and this runs only when it is found.</remarks>
    public long FindEndPastDamage(int position, long nextExpected)
    {
        int size = Log.SizeInBytes;
        long known = nextExpected;
        // A batch whose header is intact but whose bytes fail their CRC still says which offsets it holds.
        Span<byte> header = stackalloc byte[RecordBatch.HeaderSize];
        if (size - position >= RecordBatch.HeaderSize && Log.Read(position, header, size) == RecordBatch.HeaderSize
            && PlausibleHeader(header, nextExpected, size - position) is not null)
        {
            known = BinaryPrimitives.ReadInt64BigEndian(header) + BinaryPrimitives.ReadInt32BigEndian(header[RecordBatch.LastOffsetDeltaOffset..]) + 1;
        }
        int from = position + 1;
        while (from < size && NextValidBatch(from, known, size) is int found and >= 0)
        {
            using var scanner = new BatchScanner(Log, found, size, verifyCrc: true);
            int end = found;
            while (scanner.MoveNext() && CheckOffsets(scanner.Current, known) is null)
            {
                known = scanner.Current.NextOffset;
                end = scanner.ValidBytesEnd;
            }
            from = Math.Max(end, found + 1);
        }
        return known;
    }

    /// <summary>The first position at or after <paramref name="from"/> where a whole, CRC-valid batch starts whose offsets
    /// are at least <paramref name="minOffset"/> and inside the segment's range; -1 when there is none.</summary>
    private int NextValidBatch(int from, long minOffset, int size)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ResyncChunk);
        try
        {
            for (int start = from; start + RecordBatch.HeaderSize <= size;)
            {
                int filled = Log.Read(start, chunk.AsSpan(0, Math.Min(ResyncChunk, size - start)), size);
                int last = filled - RecordBatch.HeaderSize;
                for (int i = 0; i <= last; i++)
                {
                    if (PlausibleHeader(chunk.AsSpan(i, RecordBatch.HeaderSize), minOffset, size - (start + i)) is int batchSize
                        && IsValidBatchAt(start + i, batchSize))
                    {
                        return start + i;
                    }
                }
                // The next chunk starts where a header could no longer fit whole in this one.
                start += Math.Max(1, last + 1);
            }
            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private int? PlausibleHeader(ReadOnlySpan<byte> header, long minOffset, int remaining)
    {
        if (header[16] != RecordBatch.CurrentMagic || !RecordBatch.TryReadSize(header, out int batchSize) || batchSize > remaining)
            return null;
        long baseOffset = BinaryPrimitives.ReadInt64BigEndian(header);
        int lastDelta = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatch.LastOffsetDeltaOffset..]);
        bool inRange = baseOffset >= minOffset && baseOffset >= BaseOffset && lastDelta >= 0
            && baseOffset - BaseOffset <= int.MaxValue - (long)lastDelta;
        return inRange ? batchSize : null;
    }

    private bool IsValidBatchAt(int position, int batchSize)
    {
        byte[] bytes = ArrayPool<byte>.Shared.Rent(batchSize);
        try
        {
            if (Log.Read(position, bytes.AsSpan(0, batchSize), Log.SizeInBytes) != batchSize)
                return false;
            return RecordBatch.Parse(new ReadOnlyMemory<byte>(bytes, 0, batchSize)).IsValid;
        }
        catch (CorruptRecordException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}

/// <summary>Damage to bytes below the recovery point, found at open and left in place for salvage.</summary>
/// <param name="Position">The byte position in the segment's log where the valid batches stop.</param>
/// <param name="Offset">The offset the next batch should have had there.</param>
/// <param name="Reason">What is wrong.</param>
/// <param name="KnownEnd">The largest next offset of any valid batch of the segment, before or after the damage
/// (<see cref="LogSegment.FindEndPastDamage"/>).</param>
internal readonly record struct SegmentDamage(int Position, long Offset, string Reason, long KnownEnd);
