using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LogStore.Records;

namespace LogStore.Clients;

internal sealed partial class Fetcher
{
    /// <summary>
    /// Where each record of a fetch's uncompressed batches lies, decoded by the read ahead on its own thread while the
    /// consumer is still busy with the previous fetch: the consumer then rebuilds each <see cref="Record"/> from an entry
    /// instead of parsing varints, and the decoding runs on the core the consumer is not using. Nothing is turned into
    /// objects ahead of the consumer: an entry is offsets and lengths into the fetch's own buffer, and a fetch is still
    /// read only once the one before it is being decoded.
    /// </summary>
    /// <remarks>
    /// Batches the index leaves out (compressed, control, empty, or any that fails to decode) are decoded by the
    /// consumer as before, so a malformed record is reported at the same place, the same way. The checks are those of
    /// <see cref="RecordCursor"/>, which builds the entries. Each entry costs 56 bytes (about half a 100-byte record),
    /// held in pooled arrays until the fetch is disposed.
    /// </remarks>
    internal sealed class RecordIndex : IDisposable
    {
        private Entry[] _entries;
        private int _count;
        private BatchEntries[] _batches;
        private int _batchCount;
        private int _nextBatch;

        private RecordIndex(int recordsHint)
        {
            _entries = ArrayPool<Entry>.Shared.Rent(Math.Max(64, recordsHint));
            _batches = ArrayPool<BatchEntries>.Shared.Rent(16);
        }

        /// <summary>One record: offsets into its batch's records region (the bytes after the 61-byte header).</summary>
        [StructLayout(LayoutKind.Auto)]
        internal struct Entry
        {
            public long Timestamp;
            public long TimestampDelta;
            public int OffsetDelta;
            public int KeyStart;
            public int KeyLength; // -1: null
            public int ValueStart;
            public int ValueLength; // -1: null
            public int HeadersStart;
            public int HeadersLength;
            public int HeaderCount;
            public int SizeInBytes;
        }

        private readonly record struct BatchEntries(int Position, int First, int Count);

        /// <summary>Indexes the uncompressed batches of <paramref name="batches"/>; null when none could be.</summary>
        public static RecordIndex? Build(ReadOnlyMemory<byte> batches)
        {
            var index = new RecordIndex(batches.Length / 64);
            ReadOnlySpan<byte> all = batches.Span;
            for (int position = 0; position < all.Length;)
            {
                if (!RecordBatch.TryReadSize(all[position..], out int size) || size > all.Length - position)
                    break;
                RecordBatch batch;
                try
                {
                    batch = RecordBatch.Parse(batches.Slice(position, size));
                }
                catch (CorruptRecordException)
                {
                    break;
                }
                if (batch.Compression == CompressionType.None && !batch.IsControlBatch && batch.RecordCount > 0)
                    index.Add(position, batch);
                position += size;
            }
            if (index._batchCount > 0)
                return index;
            index.Dispose();
            return null;
        }

        private void Add(int position, RecordBatch batch)
        {
            int first = _count;
            ReadOnlySpan<byte> region = batch.Span[RecordBatch.HeaderSize..];
            RecordCursor cursor = batch.CreateCursor();
            try
            {
                while (cursor.MoveNext(region, out Record record))
                {
                    if (_count == _entries.Length)
                        _entries = Grow(_entries, _count);
                    _entries[_count++] = new Entry
                    {
                        Timestamp = record.Timestamp,
                        TimestampDelta = record.TimestampDelta,
                        OffsetDelta = record.OffsetDelta,
                        KeyStart = StartOf(region, record.Key),
                        KeyLength = record.IsKeyNull ? -1 : record.Key.Length,
                        ValueStart = StartOf(region, record.Value),
                        ValueLength = record.IsValueNull ? -1 : record.Value.Length,
                        HeadersStart = StartOf(region, record.RawHeaders),
                        HeadersLength = record.RawHeaders.Length,
                        HeaderCount = record.HeaderCount,
                        SizeInBytes = record.SizeInBytes,
                    };
                }
            }
            catch (CorruptRecordException)
            {
                // Left to the consumer's own decoding, which reports it at the record where it happens.
                _count = first;
                return;
            }
            if (_batchCount == _batches.Length)
                _batches = Grow(_batches, _batchCount);
            _batches[_batchCount++] = new BatchEntries(position, first, _count - first);
        }

        private static int StartOf(ReadOnlySpan<byte> region, ReadOnlySpan<byte> part) =>
            part.IsEmpty ? 0 : (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(region), ref MemoryMarshal.GetReference(part));

        private static T[] Grow<T>(T[] array, int used)
        {
            T[] larger = ArrayPool<T>.Shared.Rent(array.Length * 2);
            array.AsSpan(0, used).CopyTo(larger);
            ArrayPool<T>.Shared.Return(array);
            return larger;
        }

        /// <summary>
        /// The entries of the batch at byte <paramref name="position"/> of the fetch, if it was indexed. Batches are
        /// asked for in order (skipped ones may be left out).
        /// </summary>
        public bool TryGetBatch(int position, out int first, out int count)
        {
            while (_nextBatch < _batchCount && _batches[_nextBatch].Position < position)
                _nextBatch++;
            if (_nextBatch < _batchCount && _batches[_nextBatch].Position == position)
            {
                (_, first, count) = _batches[_nextBatch++];
                return true;
            }
            first = 0;
            count = 0;
            return false;
        }

        /// <summary>The <paramref name="i"/>-th record, over <paramref name="region"/> (its batch's records region).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Record Get(int i, ReadOnlySpan<byte> region, long baseOffset)
        {
            ref readonly Entry e = ref _entries[i];
            return new Record(
                baseOffset + e.OffsetDelta,
                e.OffsetDelta,
                e.Timestamp,
                e.TimestampDelta,
                e.KeyLength > 0 ? region.Slice(e.KeyStart, e.KeyLength) : default,
                e.KeyLength < 0,
                e.ValueLength > 0 ? region.Slice(e.ValueStart, e.ValueLength) : default,
                e.ValueLength < 0,
                e.HeadersLength > 0 ? region.Slice(e.HeadersStart, e.HeadersLength) : default,
                e.HeaderCount,
                e.SizeInBytes);
        }

        /// <summary>Returns the arrays to the pool.</summary>
        public void Dispose()
        {
            Entry[] entries = Interlocked.Exchange(ref _entries, []);
            if (entries.Length > 0)
                ArrayPool<Entry>.Shared.Return(entries);
            BatchEntries[] batches = Interlocked.Exchange(ref _batches, []);
            if (batches.Length > 0)
                ArrayPool<BatchEntries>.Shared.Return(batches);
            _count = 0;
            _batchCount = 0;
        }
    }
}
