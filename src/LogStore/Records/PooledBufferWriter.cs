using System.Buffers;
using System.Runtime.CompilerServices;

namespace LogStore.Records;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/>: an <see cref="IBufferWriter{T}"/>
/// whose written bytes stay contiguous. Growing rents a larger array, copies and returns the old one.
/// </summary>
/// <remarks>
/// <para>An optional <see cref="MaxLength"/> caps how many bytes may be written; going past it throws
/// <see cref="CorruptRecordException"/>, because the cap exists to stop a hostile or damaged compressed
/// block from inflating without bound. A capped writer never rents more than the cap (rounded up to the
/// pool's power-of-two bucket), so a bomb costs at most twice the cap in pool misses: near the cap,
/// <see cref="GetSpan"/> and <see cref="GetMemory"/> return what room is left below it, which may be less
/// than the size hint, and at the cap a small overflow area, so that a decoder with more output writes
/// there and its <see cref="Advance"/> throws, while a decoder that is done reads an end (never an empty
/// span, which stream copies take for the end of their input).</para>
/// <para>Not thread-safe: one owner at a time. <see cref="Dispose"/> returns the array to the pool; the
/// writer must not be used after that, and spans obtained from it must not outlive it.</para>
/// </remarks>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int MinimumGrowth = 256;

    /// <summary>Where a capped writer at its cap lets a decoder write, so that its Advance fails. What lands here
    /// is never read, so threads sharing it race harmlessly.</summary>
    private static readonly byte[] s_overflow = new byte[4096];

    private byte[] _buffer;
    private int _written;
    private bool _disposed;

    /// <summary>Creates a writer with at least <paramref name="initialCapacity"/> bytes of room.</summary>
    /// <param name="initialCapacity">Bytes to rent up front.</param>
    /// <param name="maxLength">The most bytes that may be written; <see cref="Array.MaxLength"/> when not capped.</param>
    public PooledBufferWriter(int initialCapacity, int maxLength = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        MaxLength = Math.Min(maxLength, Array.MaxLength);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Min(initialCapacity, MaxLength), 1));
    }

    /// <summary>The most bytes that may be written.</summary>
    public int MaxLength { get; }

    /// <summary>Bytes written so far.</summary>
    public int WrittenCount => _written;

    /// <summary>The rented array; bytes 0 to <see cref="WrittenCount"/> are the written ones.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>The written bytes.</summary>
    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>The written bytes as memory.</summary>
    public Memory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>Forgets the written bytes, keeping the array.</summary>
    public void Clear() => _written = 0;

    /// <summary>Moves the end back to <paramref name="length"/> bytes (at most <see cref="WrittenCount"/>).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)_written, nameof(length));
        _written = length;
    }

    /// <summary>Makes room for <paramref name="additional"/> bytes past the written ones (a capped writer: at most up
    /// to its cap).</summary>
    public void EnsureCapacity(int additional)
    {
        if (additional > _buffer.Length - _written)
        {
            Grow(additional);
        }
    }

    /// <summary>
    /// Throws <see cref="CorruptRecordException"/> when writing <paramref name="additional"/> more bytes
    /// would pass <see cref="MaxLength"/>; lets a decoder refuse a declared size before allocating it.
    /// </summary>
    public void EnsureWithinLimit(long additional)
    {
        if (additional < 0 || _written + additional > MaxLength)
        {
            throw LimitExceeded(_written + additional);
        }
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);

        // The cap first: past it, the bytes may sit in the overflow area rather than in the buffer.
        if ((long)_written + count > MaxLength)
        {
            throw LimitExceeded((long)_written + count);
        }

        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer obtained from GetSpan.");
        }

        _written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(Math.Max(sizeHint, 1));
        return _written < _buffer.Length ? _buffer.AsMemory(_written) : s_overflow;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (sizeHint > _buffer.Length - _written)
        {
            Grow(sizeHint);
            if (_written == _buffer.Length)
            {
                return s_overflow;
            }
        }

        return _buffer.AsSpan(_written);
    }

    /// <summary>Returns the array to the pool. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            byte[] buffer = _buffer;
            _buffer = [];
            _written = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int additional)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long needed = (long)_written + additional;
        if (needed > MaxLength && MaxLength < Array.MaxLength)
        {
            // Capped: room beyond the cap could only be filled by bytes Advance refuses, and renting it
            // would double the cost of a bomb (a 64 MiB cap plus one chunk rents a 128 MiB array).
            if (_buffer.Length >= MaxLength)
            {
                return;
            }

            needed = MaxLength;
        }

        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"A buffer of {needed} bytes is larger than the largest array .NET allows.");
        }

        // Doubling keeps the copies amortized O(1) per byte; the cap stops doubling past MaxLength.
        long doubled = Math.Min(Math.Max((long)_buffer.Length * 2, MinimumGrowth), MaxLength);
        int newSize = (int)Math.Max(needed, doubled);
        byte[] bigger = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        byte[] old = _buffer;
        _buffer = bigger;
        ArrayPool<byte>.Shared.Return(old);
    }

    private CorruptRecordException LimitExceeded(long size) =>
        new($"The decompressed records would take {size} bytes, more than the limit of {MaxLength} bytes. " +
            "The batch is corrupt or hostile; if it is genuine, raise the decompression limit.");
}
