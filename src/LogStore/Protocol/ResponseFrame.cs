using System.Buffers;

namespace LogStore.Protocol;

/// <summary>
/// One encoded response, without its 4-byte size prefix: pooled byte chunks interleaved with file regions, so that a
/// Fetch response's records can leave zero-copy. Encoders write through <see cref="IBufferWriter{T}"/> and call
/// <see cref="AddFileRegion"/> where records from a segment file go; the transport writes
/// <see cref="Length"/> as the size prefix, then <see cref="Parts"/> in order. Dispose returns the chunks and releases
/// the file leases.
/// </summary>
internal sealed class ResponseFrame : IBufferWriter<byte>, IDisposable
{
    private const int ChunkSize = 16 * 1024;
    private readonly List<ResponseFramePart> _parts = [];
    private byte[]? _chunk;
    private int _chunkStart;
    private int _chunkWritten;
    private long _length;

    /// <summary>The frame's length in bytes (what the size prefix says).</summary>
    public long Length => _length + (_chunkWritten - _chunkStart);

    /// <summary>The parts in wire order: bytes, then file regions where records go.</summary>
    public IReadOnlyList<ResponseFramePart> Parts
    {
        get
        {
            SealChunk();
            return _parts;
        }
    }

    /// <summary>Appends a file region after the bytes written so far.</summary>
    public void AddFileRegion(FileRegion region)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(region.Length);
        SealChunk();
        _parts.Add(new ResponseFramePart(default, region));
        _length += region.Length;
    }

    public void Advance(int count)
    {
        if (_chunk is null || count < 0 || _chunkWritten + count > _chunk.Length)
            throw new InvalidOperationException("Advance past the buffer handed out.");
        _chunkWritten += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).AsMemory(_chunkWritten);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).AsSpan(_chunkWritten);

    private byte[] Reserve(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_chunk is null || _chunk.Length - _chunkWritten < needed)
        {
            // The chunk lacks room: what was written goes into a part, and a new chunk takes the next bytes.
            SealChunk();
            ReturnUnsharedChunk();
            _chunk = ArrayPool<byte>.Shared.Rent(Math.Max(needed, ChunkSize));
            _chunkStart = _chunkWritten = 0;
        }
        return _chunk;
    }

    // Closes the bytes written since the last part into a part of their own; the chunk's rest stays usable.
    private void SealChunk()
    {
        if (_chunk is null || _chunkWritten == _chunkStart)
            return;
        _parts.Add(new ResponseFramePart(new ArraySegment<byte>(_chunk, _chunkStart, _chunkWritten - _chunkStart), default));
        _length += _chunkWritten - _chunkStart;
        _chunkStart = _chunkWritten;
    }

    // A chunk no part refers to goes back to the pool at once; one that parts refer to is returned on Dispose.
    private void ReturnUnsharedChunk()
    {
        if (_chunk is not null && !_parts.Exists(p => p.Bytes.Array == _chunk))
            ArrayPool<byte>.Shared.Return(_chunk);
    }

    public void Dispose()
    {
        ReturnUnsharedChunk();
        _chunk = null;
        byte[]? last = null;
        foreach (ResponseFramePart part in _parts)
        {
            if (part.Bytes.Array is { } array && !ReferenceEquals(array, last))
            {
                ArrayPool<byte>.Shared.Return(array);
                last = array;
            }
            part.File.Lease?.Dispose();
        }
        _parts.Clear();
        _length = 0;
    }
}

/// <summary>One part of a <see cref="ResponseFrame"/>: either <see cref="Bytes"/> (non-empty) or <see cref="File"/>.</summary>
internal readonly record struct ResponseFramePart(ArraySegment<byte> Bytes, FileRegion File)
{
    public bool IsFile => Bytes.Array is null;
}
