namespace LogStore.Records.Compression;

/// <summary>
/// A write-only <see cref="Stream"/> that appends to a <see cref="PooledBufferWriter"/>, so a stream-based
/// compressor (GZipStream) writes straight into pooled memory instead of a MemoryStream's array.
/// Not thread-safe; owns nothing (disposing it leaves the writer alone).
/// </summary>
internal sealed class BufferWriterStream : Stream
{
    private readonly PooledBufferWriter _destination;

    /// <summary>Creates a stream that appends to <paramref name="destination"/>.</summary>
    public BufferWriterStream(PooledBufferWriter destination) => _destination = destination;

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => _destination.WrittenCount;

    /// <inheritdoc/>
    public override long Position
    {
        get => _destination.WrittenCount;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        buffer.CopyTo(_destination.GetSpan(buffer.Length));
        _destination.Advance(buffer.Length);
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void WriteByte(byte value)
    {
        _destination.GetSpan(1)[0] = value;
        _destination.Advance(1);
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();
}
