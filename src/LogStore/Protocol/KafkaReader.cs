using System.Buffers;
using System.Text;

namespace LogStore.Protocol;

/// <summary>
/// Reads Kafka's protocol primitives from a request or response that may span several buffers. Every length a peer
/// sends is checked against the bytes that remain before anything is allocated, so a 20-byte frame that claims an
/// array of 2^31 elements costs nothing but a <see cref="KafkaProtocolException"/>. "Compact" is the flexible
/// versions' encoding: unsigned varint lengths, plus one, zero meaning null.
/// </summary>
internal ref struct KafkaReader
{
    /// <summary>Kafka refuses strings longer than a short's range, in compact encoding too.</summary>
    public const int MaxStringLength = short.MaxValue;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private SequenceReader<byte> _reader;

    public KafkaReader(ReadOnlySequence<byte> source) => _reader = new SequenceReader<byte>(source);

    /// <summary>The bytes not read yet.</summary>
    public readonly long Remaining => _reader.Remaining;

    /// <summary>The bytes read so far.</summary>
    public readonly long Consumed => _reader.Consumed;

    public sbyte ReadInt8() => _reader.TryRead(out byte b) ? (sbyte)b : throw Truncated("int8");

    public bool ReadBool() => ReadInt8() != 0;

    public short ReadInt16() => _reader.TryReadBigEndian(out short v) ? v : throw Truncated("int16");

    public ushort ReadUInt16() => (ushort)ReadInt16();

    public int ReadInt32() => _reader.TryReadBigEndian(out int v) ? v : throw Truncated("int32");

    public long ReadInt64() => _reader.TryReadBigEndian(out long v) ? v : throw Truncated("int64");

    public double ReadFloat64() => BitConverter.Int64BitsToDouble(ReadInt64());

    public Guid ReadUuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!_reader.TryCopyTo(bytes))
            throw Truncated("uuid");
        _reader.Advance(16);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>An unsigned varint of at most 5 bytes whose value fits 32 bits.</summary>
    public uint ReadUVarInt()
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (!_reader.TryRead(out byte b))
                throw Truncated("varint");
            if (shift == 28 && b > 0x0F)
                throw new KafkaProtocolException("A varint does not fit 32 bits.");
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new KafkaProtocolException("A varint is longer than 5 bytes.");
    }

    /// <summary>An unsigned varint of at most 10 bytes.</summary>
    public ulong ReadUVarLong()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (!_reader.TryRead(out byte b))
                throw Truncated("varlong");
            if (shift == 63 && b > 0x01)
                throw new KafkaProtocolException("A varlong does not fit 64 bits.");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new KafkaProtocolException("A varlong is longer than 10 bytes.");
    }

    /// <summary>A zigzag-encoded signed varint.</summary>
    public int ReadVarInt()
    {
        uint raw = ReadUVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>A zigzag-encoded signed varlong.</summary>
    public long ReadVarLong()
    {
        ulong raw = ReadUVarLong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new KafkaProtocolException("A non-nullable string is null.");

    public string? ReadNullableString(bool compact)
    {
        int length = compact ? ReadCompactLength() : ReadInt16();
        if (length == -1)
            return null;
        if (length < -1 || length > MaxStringLength)
            throw new KafkaProtocolException($"A string has an invalid length {length}.");
        CheckRemaining(length, "string");
        try
        {
            ReadOnlySpan<byte> span = _reader.UnreadSpan;
            if (span.Length >= length)
            {
                string s = StrictUtf8.GetString(span[..length]);
                _reader.Advance(length);
                return s;
            }
            byte[] rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                _reader.TryCopyTo(rented.AsSpan(0, length));
                _reader.Advance(length);
                return StrictUtf8.GetString(rented, 0, length);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        catch (DecoderFallbackException)
        {
            throw new KafkaProtocolException("A string is not valid UTF-8.");
        }
    }

    public byte[] ReadBytes(bool compact) =>
        ReadNullableBytes(compact) ?? throw new KafkaProtocolException("A non-nullable bytes field is null.");

    public byte[]? ReadNullableBytes(bool compact)
    {
        int length = ReadLength(compact, "bytes");
        if (length == -1)
            return null;
        byte[] bytes = length == 0 ? [] : new byte[length];
        _reader.TryCopyTo(bytes);
        _reader.Advance(length);
        return bytes;
    }

    /// <summary>A records field as a slice of the input: no copy, valid as long as the input is.</summary>
    public ReadOnlySequence<byte>? ReadRecords(bool compact)
    {
        int length = ReadLength(compact, "records");
        if (length == -1)
            return null;
        ReadOnlySequence<byte> slice = _reader.UnreadSequence.Slice(0, length);
        _reader.Advance(length);
        return slice;
    }

    /// <summary>
    /// An array's element count, -1 for null. <paramref name="minElementSize"/> is the fewest bytes one element can
    /// take: a count whose elements cannot fit in what remains is refused before the caller allocates for it.
    /// </summary>
    public int ReadArrayLength(bool compact, int minElementSize = 1)
    {
        int count = compact ? ReadCompactLength() : ReadInt32();
        if (count == -1)
            return -1;
        if (count < -1)
            throw new KafkaProtocolException($"An array has a negative length {count}.");
        if ((long)count * Math.Max(minElementSize, 1) > _reader.Remaining)
            throw new KafkaProtocolException($"An array of {count} elements does not fit in the {_reader.Remaining} bytes left.");
        return count;
    }

    /// <summary>As <see cref="ReadArrayLength"/>, for arrays that may not be null.</summary>
    public int ReadNonNullArrayLength(bool compact, int minElementSize = 1)
    {
        int count = ReadArrayLength(compact, minElementSize);
        return count >= 0 ? count : throw new KafkaProtocolException("A non-nullable array is null.");
    }

    /// <summary>An array of int32 (replica lists, partition indexes); null reads as null.</summary>
    public List<int>? ReadNullableInt32Array(bool compact)
    {
        int count = ReadArrayLength(compact, sizeof(int));
        if (count < 0)
            return null;
        var list = new List<int>(count);
        for (int i = 0; i < count; i++)
            list.Add(ReadInt32());
        return list;
    }

    public List<int> ReadInt32Array(bool compact) =>
        ReadNullableInt32Array(compact) ?? throw new KafkaProtocolException("A non-nullable array is null.");

    /// <summary>An array of strings (topic names, group ids); null reads as null.</summary>
    public List<string>? ReadNullableStringArray(bool compact)
    {
        int count = ReadArrayLength(compact, compact ? 1 : 2);
        if (count < 0)
            return null;
        var list = new List<string>(count);
        for (int i = 0; i < count; i++)
            list.Add(ReadString(compact));
        return list;
    }

    public List<string> ReadStringArray(bool compact) =>
        ReadNullableStringArray(compact) ?? throw new KafkaProtocolException("A non-nullable array is null.");

    /// <summary>A tagged-field section that holds no field this version knows: every field is skipped.</summary>
    public void SkipTaggedFields()
    {
        int count = ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            ReadTaggedFieldHeader(out _, out int size);
            Skip(size);
        }
    }

    /// <summary>The number of tagged fields that follow, each bounded by the bytes left (a field takes at least 2).</summary>
    public int ReadTaggedFieldCount()
    {
        uint count = ReadUVarInt();
        if (count > _reader.Remaining / 2)
            throw new KafkaProtocolException($"{count} tagged fields do not fit in the {_reader.Remaining} bytes left.");
        return (int)count;
    }

    /// <summary>One tagged field's tag and size; the caller reads or <see cref="Skip"/>s its <paramref name="size"/> bytes.</summary>
    public void ReadTaggedFieldHeader(out int tag, out int size)
    {
        uint t = ReadUVarInt();
        uint s = ReadUVarInt();
        if (t > int.MaxValue)
            throw new KafkaProtocolException($"A tagged field has an invalid tag {t}.");
        if (s > _reader.Remaining)
            throw new KafkaProtocolException($"Tagged field {t} of {s} bytes does not fit in the {_reader.Remaining} bytes left.");
        tag = (int)t;
        size = (int)s;
    }

    /// <summary>Throws unless a known tagged field read exactly the <paramref name="size"/> bytes its header gave.</summary>
    public readonly void EnsureTaggedFieldEnd(long start, int size, int tag)
    {
        if (_reader.Consumed - start != size)
            throw new KafkaProtocolException($"Tagged field {tag} says {size} bytes but holds {_reader.Consumed - start}.");
    }

    public void Skip(int count)
    {
        CheckRemaining(count, "skipped field");
        _reader.Advance(count);
    }

    /// <summary>Throws unless every byte was read: a message with trailing bytes is not the message its header says.</summary>
    public readonly void EnsureEnd(string what)
    {
        if (_reader.Remaining != 0)
            throw new KafkaProtocolException($"{what}: {_reader.Remaining} bytes left over after the message.");
    }

    // Bytes and records: int32 (classic) or uvarint + 1 (compact), -1 meaning null; checked against what remains.
    private int ReadLength(bool compact, string what)
    {
        int length = compact ? ReadCompactLength() : ReadInt32();
        if (length == -1)
            return -1;
        if (length < -1)
            throw new KafkaProtocolException($"A {what} field has a negative length {length}.");
        CheckRemaining(length, what);
        return length;
    }

    private int ReadCompactLength()
    {
        uint raw = ReadUVarInt();
        if (raw > int.MaxValue)
            throw new KafkaProtocolException($"A compact length {raw} is out of range.");
        return (int)raw - 1;
    }

    private readonly void CheckRemaining(int length, string what)
    {
        if (length > _reader.Remaining)
            throw new KafkaProtocolException($"A {what} of {length} bytes does not fit in the {_reader.Remaining} bytes left.");
    }

    private static KafkaProtocolException Truncated(string what) => new($"The message ends inside a field of type {what}.");
}
