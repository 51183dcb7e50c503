using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Clients;

internal sealed partial class Fetcher
{
    /// <summary>
    /// The batches of one fetch, decoded lazily one record at a time (Kafka's CompletedFetch): a batch is parsed (and
    /// decompressed into a pooled buffer) only when the reader reaches it, and nothing is decoded into objects ahead of
    /// the reader. Batches wholly below the reader's position are skipped unread; inside the batch that holds the
    /// position, earlier records are decoded and skipped (a compressed batch can only be read from its start).
    /// Control batches are skipped. Not thread-safe; dispose to return the fetch's and the decompression buffers.
    /// </summary>
    internal sealed class CompletedFetch : IDisposable
    {
        private readonly FetchResult _result;
        private readonly ReadOnlyMemory<byte> _batches;
        private int _nextBatch;
        // The records region of the current batch as array + range: a span made from them is cheaper than
        // ReadOnlyMemory.Span, and this is read once per record.
        private byte[] _records = [];
        private int _recordsStart;
        private int _recordsLength;
        private PooledBufferWriter? _decompressed;
        private RecordCursor _cursor;
        private bool _inBatch;
        private readonly ShareMode _share;
        // While a ConsumedBatch lends records of this fetch, the decompressed buffers of the batches it walks past stay
        // here rather than going back to the pool: earlier records of the lease point into them.
        private bool _holding;
        private List<PooledBufferWriter>? _held;
        // Set when the consumer closes while a batch is lent: the buffers go to the garbage collector, not the pool.
        private bool _abandoned;

        /// <param name="result">The fetch.</param>
        /// <param name="share">Whether keys and values are handed out as memory that outlives the fetch, and how: views
        /// of the fetched (or decompressed) bytes, whose buffers then belong to the garbage collector rather than the
        /// pool, or copies.</param>
        public CompletedFetch(FetchResult result, ShareMode share)
        {
            _result = result;
            _share = share;
            _batches = result.Records;
            SizeInBytes = _batches.Length;
            (NextFetchOffset, long firstOffset) = OffsetRange(_batches.Span);
            AverageRecordBytes = NextFetchOffset > firstOffset ? SizeInBytes / (NextFetchOffset - firstOffset) : SizeInBytes;
        }

        /// <summary>Bytes of the fetched batches.</summary>
        public int SizeInBytes { get; }

        /// <summary>Bytes per offset of the fetched batches (with batch overheads; offsets removed by compaction count).</summary>
        public long AverageRecordBytes { get; }

        /// <summary>Where the following fetch starts: the offset after the last batch.</summary>
        public long NextFetchOffset { get; }

        /// <summary>The partition's high watermark when the fetch was made.</summary>
        public long HighWatermark => _result.HighWatermark;

        /// <summary>
        /// The next record at or after <paramref name="position"/>; false when the fetch holds no more. The record's
        /// spans stay valid until the next call or <see cref="Dispose"/>.
        /// </summary>
        /// <exception cref="CorruptRecordException">A batch or record is malformed, or a compressed block is damaged.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryNext(long position, out Record record)
        {
            if (_inBatch && _cursor.MoveNext(new ReadOnlySpan<byte>(_records, _recordsStart, _recordsLength), out record) && record.Offset >= position)
                return true;
            return TryNextSlow(position, out record);
        }

        /// <summary>
        /// Whether the fetch holds a record at or after <paramref name="position"/>, leaving it to be returned by the
        /// next <see cref="TryNext"/> (batches and records below the position are passed over, as there).
        /// </summary>
        /// <exception cref="CorruptRecordException">A batch or record is malformed, or a compressed block is damaged.</exception>
        public bool HasNext(long position)
        {
            while (true)
            {
                if (_inBatch)
                {
                    // The cursor is a plain struct: a copy taken before reading the record puts the reader back.
                    RecordCursor before = _cursor;
                    if (_cursor.MoveNext(new ReadOnlySpan<byte>(_records, _recordsStart, _recordsLength), out Record record))
                    {
                        if (record.Offset >= position)
                        {
                            _cursor = before;
                            return true;
                        }
                        continue;
                    }
                    EndBatch();
                }
                if (!StartBatch(position))
                    return false;
            }
        }

        /// <summary>Keeps the decompressed buffers of the batches read from now on until <see cref="ReleaseHeld"/>.</summary>
        public void Hold() => _holding = true;

        /// <summary>Returns the buffers kept since <see cref="Hold"/> (the current batch's stays until the reader leaves it).</summary>
        public void ReleaseHeld()
        {
            _holding = false;
            if (_held is not { } held)
                return;
            if (!_abandoned)
            {
                foreach (PooledBufferWriter buffer in held)
                    buffer.Dispose();
            }
            held.Clear();
        }

        /// <summary>
        /// Leaves every buffer of this fetch to the garbage collector instead of the pool: the consumer is closing while a
        /// batch lends from it, possibly on another thread that still reads it, and no other reader may get those bytes.
        /// </summary>
        public void Abandon()
        {
            _abandoned = true;
            _result.Abandon();
        }

        private bool TryNextSlow(long position, out Record record)
        {
            while (true)
            {
                if (_inBatch)
                {
                    if (_cursor.MoveNext(new ReadOnlySpan<byte>(_records, _recordsStart, _recordsLength), out record))
                    {
                        if (record.Offset >= position)
                            return true;
                        continue;
                    }
                    EndBatch();
                }
                if (!StartBatch(position))
                {
                    record = default;
                    return false;
                }
            }
        }

        /// <summary>Moves to the next batch that holds a record at or after <paramref name="position"/>.</summary>
        private bool StartBatch(long position)
        {
            ReadOnlySpan<byte> all = _batches.Span;
            while (_nextBatch < all.Length)
            {
                if (!RecordBatch.TryReadSize(all[_nextBatch..], out int size) || size > all.Length - _nextBatch)
                    throw new CorruptRecordException($"A fetched batch of {_result.TopicPartition} at byte {_nextBatch} has a damaged length.");
                RecordBatch batch = RecordBatch.Parse(_batches.Slice(_nextBatch, size));
                _nextBatch += size;
                if (batch.IsControlBatch || batch.NextOffset <= position || batch.RecordCount == 0)
                    continue;
                ReadOnlyMemory<byte> region = batch.Memory[RecordBatch.HeaderSize..];
                if (batch.Compression != CompressionType.None)
                {
                    _decompressed = CompressionCodecs.Decompress(batch.Compression, region.Span, RecordBatch.DefaultMaxDecompressedBytes);
                    region = _decompressed.WrittenMemory;
                }
                if (!MemoryMarshal.TryGetArray(region, out ArraySegment<byte> segment))
                    segment = region.ToArray(); // never: fetch and decompression buffers are arrays
                (_records, _recordsStart, _recordsLength) = (segment.Array!, segment.Offset, segment.Count);
                _cursor = batch.CreateCursor();
                _inBatch = true;
                return true;
            }
            return false;
        }

        /// <summary>
        /// <paramref name="bytes"/>, a key or value of the record last returned, as memory that outlives the fetch: a
        /// view of a buffer never returned to the pool, or a copy (<see cref="ShareMode"/>).
        /// </summary>
        public ReadOnlyMemory<byte> Share(ReadOnlySpan<byte> bytes)
        {
            Debug.Assert(_share != ShareMode.None);
            if (bytes.IsEmpty)
                return ReadOnlyMemory<byte>.Empty;
            if (_share == ShareMode.ValueCopies)
                return bytes.ToArray();
            int start = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(_records), ref MemoryMarshal.GetReference(bytes));
            return new ReadOnlyMemory<byte>(_records, start, bytes.Length);
        }

        private void EndBatch()
        {
            _inBatch = false;
            _records = [];
            _recordsStart = 0;
            _recordsLength = 0;
            PooledBufferWriter? decompressed = _decompressed;
            _decompressed = null;
            if (decompressed is null || _share == ShareMode.FetchBuffer || _abandoned)
                return;
            if (_holding)
                (_held ??= []).Add(decompressed);
            else
                decompressed.Dispose();
        }

        /// <summary>The offset after the last batch, and the first batch's base offset.</summary>
        private static (long Next, long First) OffsetRange(ReadOnlySpan<byte> batches)
        {
            long next = -1;
            long first = batches.Length >= RecordBatch.HeaderSize ? BinaryPrimitives.ReadInt64BigEndian(batches) : -1;
            for (int at = 0; at + RecordBatch.HeaderSize <= batches.Length;)
            {
                ReadOnlySpan<byte> header = batches[at..];
                next = BinaryPrimitives.ReadInt64BigEndian(header) + BinaryPrimitives.ReadInt32BigEndian(header[RecordBatch.LastOffsetDeltaOffset..]) + 1;
                int batchLength = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatch.BatchLengthOffset..]);
                if (batchLength <= 0)
                    break;
                at += RecordBatch.LogOverhead + batchLength;
            }
            return (next, first);
        }

        /// <summary>Returns the buffers.</summary>
        public void Dispose()
        {
            _holding = false;
            EndBatch();
            ReleaseHeld();
            _nextBatch = int.MaxValue;
            if (_share == ShareMode.FetchBuffer)
                _result.Abandon();
            _result.Dispose();
        }
    }
}
