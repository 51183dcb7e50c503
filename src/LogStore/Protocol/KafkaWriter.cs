using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LogStore.Protocol;

/// <summary>
/// Writes Kafka's protocol primitives to an <see cref="IBufferWriter{T}"/>, the mirror of <see cref="KafkaReader"/>.
/// Over a <see cref="ResponseFrame"/>, <see cref="WriteRecords(FileRegion, bool)"/> adds the segment bytes as a file
/// region so they leave by <c>sendfile</c>; over any other writer it copies them.
/// </summary>
internal readonly ref struct KafkaWriter
{
    private readonly IBufferWriter<byte> _output;

    public KafkaWriter(IBufferWriter<byte> output) => _output = output;

    public void WriteInt8(sbyte value)
    {
        _output.GetSpan(1)[0] = (byte)value;
        _output.Advance(1);
    }

    public void WriteBool(bool value) => WriteInt8(value ? (sbyte)1 : (sbyte)0);

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), value);
        _output.Advance(2);
    }

    public void WriteUInt16(ushort value) => WriteInt16((short)value);

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    public void WriteFloat64(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteUuid(Guid value)
    {
        value.TryWriteBytes(_output.GetSpan(16), bigEndian: true, out _);
        _output.Advance(16);
    }

    public void WriteUVarInt(uint value) => WriteUVarLong(value);

    public void WriteUVarLong(ulong value)
    {
        Span<byte> span = _output.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _output.Advance(i);
    }

    public void WriteVarInt(int value) => WriteUVarInt((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarLong(long value) => WriteUVarLong((ulong)((value << 1) ^ (value >> 63)));

    public void WriteString(string value, bool compact) => WriteNullableString(value, compact);

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteNullLength(compact, shortLength: true);
            return;
        }
        int length = Encoding.UTF8.GetByteCount(value);
        if (length > KafkaReader.MaxStringLength)
            throw new ArgumentException($"A string of {length} bytes is longer than Kafka allows ({KafkaReader.MaxStringLength}).", nameof(value));
        if (compact)
            WriteUVarInt((uint)length + 1);
        else
            WriteInt16((short)length);
        Encoding.UTF8.GetBytes(value, _output.GetSpan(length));
        _output.Advance(length);
    }

    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        WriteLength(value.Length, compact);
        _output.Write(value);
    }

    public void WriteNullableBytes(byte[]? value, bool compact)
    {
        if (value is null)
            WriteNullLength(compact, shortLength: false);
        else
            WriteBytes(value, compact);
    }

    /// <summary>A records field from bytes (Produce requests, copied records); null writes Kafka's null records.</summary>
    public void WriteRecords(ReadOnlySequence<byte>? records, bool compact)
    {
        if (records is not { } value)
        {
            WriteNullLength(compact, shortLength: false);
            return;
        }
        WriteLength(checked((int)value.Length), compact);
        foreach (ReadOnlyMemory<byte> segment in value)
            _output.Write(segment.Span);
    }

    /// <summary>
    /// A records field from a segment file: the length, then the region. A <see cref="ResponseFrame"/> keeps the region
    /// (and its lease) to send zero-copy; any other output gets the bytes copied, and the lease is released at once.
    /// </summary>
    public void WriteRecords(FileRegion region, bool compact)
    {
        WriteLength(region.Length, compact);
        if (_output is ResponseFrame frame)
        {
            frame.AddFileRegion(region);
            return;
        }
        // Another writer (a test, TLS): read the region's bytes into the output.
        long position = region.Position;
        int left = region.Length;
        while (left > 0)
        {
            Span<byte> span = _output.GetSpan(Math.Min(left, 64 * 1024));
            int read = RandomAccess.Read(region.File, span[..Math.Min(left, span.Length)], position);
            if (read <= 0)
                throw new EndOfStreamException($"The file region ends {left} bytes early.");
            _output.Advance(read);
            position += read;
            left -= read;
        }
        region.Lease?.Dispose();
    }

    /// <summary>An array's element count; -1 writes null.</summary>
    public void WriteArrayLength(int count, bool compact)
    {
        if (compact)
            WriteUVarInt((uint)(count + 1));
        else
            WriteInt32(count);
    }

    public void WriteInt32Array(IReadOnlyList<int>? values, bool compact)
    {
        WriteArrayLength(values?.Count ?? -1, compact);
        if (values is null)
            return;
        for (int i = 0; i < values.Count; i++)
            WriteInt32(values[i]);
    }

    public void WriteStringArray(IReadOnlyList<string>? values, bool compact)
    {
        WriteArrayLength(values?.Count ?? -1, compact);
        if (values is null)
            return;
        for (int i = 0; i < values.Count; i++)
            WriteString(values[i], compact);
    }

    /// <summary>An empty tagged-field section, what most structures of a flexible version end with.</summary>
    public void WriteEmptyTaggedFields() => WriteUVarInt(0);

    /// <summary>One tagged field's header; its <paramref name="size"/> bytes follow.</summary>
    public void WriteTaggedFieldHeader(int tag, int size)
    {
        WriteUVarInt((uint)tag);
        WriteUVarInt((uint)size);
    }

    /// <summary>The bytes <see cref="WriteUVarInt"/> takes for <paramref name="value"/>, to size a tagged field.</summary>
    public static int SizeOfUVarInt(uint value) => (38 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7;

    /// <summary>The bytes a compact nullable string takes, to size a tagged field.</summary>
    public static int SizeOfCompactString(string? value)
    {
        if (value is null)
            return 1;
        int length = Encoding.UTF8.GetByteCount(value);
        return SizeOfUVarInt((uint)length + 1) + length;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    private void WriteLength(int length, bool compact)
    {
        if (compact)
            WriteUVarInt((uint)length + 1);
        else
            WriteInt32(length);
    }

    private void WriteNullLength(bool compact, bool shortLength)
    {
        if (compact)
            WriteUVarInt(0);
        else if (shortLength)
            WriteInt16(-1);
        else
            WriteInt32(-1);
    }
}
