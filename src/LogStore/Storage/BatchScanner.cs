using System.Buffers;

namespace LogStore.Storage;

/// <summary>Why a <see cref="BatchScanner"/> stopped.</summary>
internal enum ScanStop
{
    /// <summary>Still scanning, or stopped exactly at the limit.</summary>
    None,
    /// <summary>The bytes left before the limit are fewer than the next batch claims: a torn write at the tail.</summary>
    Incomplete,
    /// <summary>The next bytes are not a valid batch (length, magic or CRC).</summary>
    Corrupt,
}

/// <summary>
/// Walks the batches of a <see cref="FileRecords"/> from a position, reading ahead in large chunks into one pooled
/// buffer, so that finding an offset, rebuilding an index or recovering a segment costs a few large reads rather than
/// one read per batch header. Each <see cref="Current"/> is valid until the next <see cref="MoveNext"/>.
/// Not thread-safe; owns its buffer until disposed.
/// </summary>
internal sealed class BatchScanner : IDisposable
{
    private const int ChunkSize = 256 * 1024;

    private readonly FileRecords _log;
    private readonly int _limit;
    private readonly bool _verifyCrc;
    private byte[] _buffer;
    private long _bufferFilePosition; // file position of _buffer[0]
    private int _bufferLength;
    private int _next;                 // file position of the next batch

    public BatchScanner(FileRecords log, int startPosition, int limit, bool verifyCrc)
    {
        _log = log;
        _limit = limit;
        _verifyCrc = verifyCrc;
        _next = startPosition;
        _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _bufferFilePosition = startPosition;
    }

    public RecordBatch Current { get; private set; }

    /// <summary>File position where <see cref="Current"/> starts.</summary>
    public int CurrentPosition { get; private set; }

    /// <summary>File position just after the last valid batch returned.</summary>
    public int ValidBytesEnd => _next;

    public ScanStop Stop { get; private set; }

    public string? StopReason { get; private set; }

    public bool MoveNext()
    {
        int remaining = _limit - _next;
        if (remaining <= 0)
            return false;
        if (remaining < RecordBatch.LogOverhead + 5)
            return Fail(ScanStop.Incomplete, $"{remaining} bytes at the end are too few for a batch header");

        ReadOnlySpan<byte> header = Ensure(RecordBatch.LogOverhead + 5);
        if (!RecordBatch.TryReadSize(header, out int size) || size < RecordBatch.HeaderSize)
            return Fail(ScanStop.Corrupt, "the batch length is invalid");
        byte magic = header[16];
        if (magic != RecordBatch.CurrentMagic)
            return Fail(ScanStop.Corrupt, $"magic byte is {magic}, expected {RecordBatch.CurrentMagic}");
        if (size > remaining)
            return Fail(ScanStop.Incomplete, $"the batch claims {size} bytes but only {remaining} remain");

        Ensure(size);
        var memory = new ReadOnlyMemory<byte>(_buffer, (int)(_next - _bufferFilePosition), size);
        RecordBatch batch;
        try
        {
            batch = RecordBatch.Parse(memory);
        }
        catch (CorruptRecordException e)
        {
            return Fail(ScanStop.Corrupt, e.Message);
        }
        if (_verifyCrc && !batch.IsValid)
            return Fail(ScanStop.Corrupt, "the CRC does not match the batch's bytes");

        Current = batch;
        CurrentPosition = _next;
        _next += size;
        return true;
    }

    private bool Fail(ScanStop stop, string reason)
    {
        Stop = stop;
        StopReason = reason;
        return false;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes from <see cref="_next"/> present in the buffer.</summary>
    private ReadOnlySpan<byte> Ensure(int count)
    {
        int offset = (int)(_next - _bufferFilePosition);
        if (offset + count > _bufferLength)
        {
            if (count > _buffer.Length)
            {
                byte[] bigger = ArrayPool<byte>.Shared.Rent(count);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            int want = Math.Min(_buffer.Length, _limit - _next);
            _bufferFilePosition = _next;
            _bufferLength = _log.Read(_next, _buffer.AsSpan(0, want), _limit);
            offset = 0;
            if (_bufferLength < count)
                throw new StorageException($"Expected {count} bytes at position {_next} but the file ended early.", _log.FilePath);
        }
        return _buffer.AsSpan(offset, count);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
