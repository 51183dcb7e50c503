using System.Buffers;

namespace LogStore;

/// <summary>
/// Whole batches read from one partition, back to back in one pooled buffer, exactly as they lie in the segment
/// (a Kafka fetch response's records). Dispose it to return the buffer; the batches are invalid afterwards.
/// Not thread-safe.
/// </summary>
public sealed class FetchResult : IDisposable
{
    private byte[]? _buffer;
    private readonly int _start;
    private readonly int _length;

    internal FetchResult(TopicPartition topicPartition, byte[]? buffer, int start, int length, int batchCount, long highWatermark, long logStartOffset)
    {
        TopicPartition = topicPartition;
        _buffer = buffer;
        _start = start;
        _length = length;
        BatchCount = batchCount;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
    }

    internal static FetchResult Empty(TopicPartition topicPartition, long highWatermark, long logStartOffset) =>
        new(topicPartition, null, 0, 0, 0, highWatermark, logStartOffset);

    /// <summary>The partition read.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The raw bytes of the batches.</summary>
    public ReadOnlyMemory<byte> Records
    {
        get
        {
            ObjectDisposedException.ThrowIf(_buffer is null && _length > 0, this);
            return _buffer is null ? ReadOnlyMemory<byte>.Empty : new ReadOnlyMemory<byte>(_buffer, _start, _length);
        }
    }

    /// <summary>How many batches were read.</summary>
    public int BatchCount { get; }

    /// <summary>True when nothing was read (the wait for new data timed out).</summary>
    public bool IsEmpty => BatchCount == 0;

    /// <summary>The partition's high watermark when the read was made.</summary>
    public long HighWatermark { get; }

    /// <summary>The partition's log start offset when the read was made.</summary>
    public long LogStartOffset { get; }

    /// <summary>Enumerates the batches without allocating: <c>foreach (RecordBatch batch in result)</c>.</summary>
    public BatchEnumerator GetEnumerator() => new(Records);

    /// <summary>
    /// Lets the garbage collector own the buffer instead of the pool: for consumers that hand out views of the fetched
    /// bytes (<see cref="Deserializers.ReadOnlyMemory"/>), which stay valid as long as they are referenced.
    /// </summary>
    internal void Abandon() => _buffer = null;

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        byte[]? buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Walks batches laid back to back.</summary>
    public struct BatchEnumerator
    {
        private readonly ReadOnlyMemory<byte> _records;
        private int _next;

        internal BatchEnumerator(ReadOnlyMemory<byte> records)
        {
            _records = records;
            _next = 0;
            Current = default;
        }

        /// <summary>The current batch.</summary>
        public RecordBatch Current { get; private set; }

        /// <summary>Moves to the next batch.</summary>
        public bool MoveNext()
        {
            if (_next >= _records.Length)
                return false;
            RecordBatch.TryReadSize(_records.Span[_next..], out int size);
            Current = RecordBatch.Parse(_records.Slice(_next, size));
            _next += size;
            return true;
        }
    }
}
