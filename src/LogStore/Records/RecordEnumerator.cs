using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore;

/// <summary>
/// Enumerates the records of a <see cref="RecordBatch"/> (what <c>foreach (Record r in batch)</c> uses).
/// An uncompressed batch is read in place; a compressed one is decompressed once, on creation, into a
/// buffer rented from the shared array pool, which <see cref="Dispose"/> returns.
/// </summary>
/// <remarks>
/// Every record is checked as it is reached: a malformed record, a record count that does not match the
/// bytes, or offset deltas that do not increase throw <see cref="CorruptRecordException"/>. Records read
/// from a compressed batch are valid only until <see cref="Dispose"/>. A mutable ref struct: one thread.
/// </remarks>
public ref struct RecordEnumerator
{
    private ReadOnlySpan<byte> _records;
    private RecordCursor _cursor;
    private PooledBufferWriter? _decompressed;
    private Record _current;

    internal RecordEnumerator(RecordBatch batch, int maxDecompressedBytes)
    {
        _cursor = batch.CreateCursor();
        _current = default;
        _decompressed = null;
        CompressionType compression = batch.Compression;
        ReadOnlySpan<byte> region = batch.Span[RecordBatch.HeaderSize..];
        if (compression == CompressionType.None)
        {
            _records = region;
        }
        else
        {
            _decompressed = CompressionCodecs.Decompress(compression, region, maxDecompressedBytes);
            _records = _decompressed.WrittenSpan;
        }
    }

    /// <summary>The record at the current position.</summary>
    public readonly Record Current => _current;

    /// <summary>Moves to the next record; false after the last one.</summary>
    /// <exception cref="CorruptRecordException">The next record, or the batch's record count, is malformed.</exception>
    public bool MoveNext()
    {
        bool moved = _cursor.MoveNext(_records, out Record record);
        _current = record;
        return moved;
    }

    /// <summary>
    /// Moves to the first record whose offset is at least <paramref name="offset"/>; false when the batch has none that
    /// far. The records before it are stepped over by their length and offset delta, not decoded (nor checked beyond
    /// those two), which makes finding one record of a batch several times cheaper than <see cref="MoveNext"/> in a
    /// loop. With gaps in the offsets (a compacted topic), <see cref="Current"/> may be past <paramref name="offset"/>.
    /// </summary>
    /// <exception cref="CorruptRecordException">A record stepped over, or the one reached, is malformed.</exception>
    public bool MoveTo(long offset)
    {
        _cursor.SkipTo(_records, offset);
        return MoveNext();
    }

    /// <summary>Returns the decompression buffer, if any, to the pool. Safe to call more than once.</summary>
    public void Dispose()
    {
        _records = default;
        _current = default;
        PooledBufferWriter? decompressed = _decompressed;
        _decompressed = null;
        decompressed?.Dispose();
    }
}
