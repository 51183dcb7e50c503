namespace LogStore;

/// <summary>
/// One record of a <see cref="RecordBatch"/>, decoded in place: its key, value and header bytes are spans
/// into the batch (or into its decompressed buffer), so reading a record copies and allocates nothing.
/// </summary>
/// <remarks>
/// <para>Wire format (after a varint length of the rest): attributes int8 (unused, 0), timestampDelta
/// varlong, offsetDelta varint, key length varint (-1 = null) and key, value length varint (-1 = null)
/// and value, header count varint, then each header's key length varint and UTF-8 key, value length
/// varint (-1 = null) and value. Varints are zig-zag base-128, as protobuf's sint32/sint64.</para>
/// <para>A record is valid only while the enumerator (or buffer) it came from is: copy what you keep.
/// It is an immutable view and was fully checked when it was read, so reading it never throws.</para>
/// </remarks>
public readonly ref struct Record
{
    private readonly ReadOnlySpan<byte> _key;
    private readonly ReadOnlySpan<byte> _value;
    private readonly ReadOnlySpan<byte> _headers;

    internal Record(
        long offset,
        int offsetDelta,
        long timestamp,
        long timestampDelta,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        ReadOnlySpan<byte> headers,
        int headerCount,
        int sizeInBytes)
    {
        Offset = offset;
        OffsetDelta = offsetDelta;
        Timestamp = timestamp;
        TimestampDelta = timestampDelta;
        _key = key;
        IsKeyNull = isKeyNull;
        _value = value;
        IsValueNull = isValueNull;
        _headers = headers;
        HeaderCount = headerCount;
        SizeInBytes = sizeInBytes;
    }

    /// <summary>The record's offset: the batch's base offset plus <see cref="OffsetDelta"/>.</summary>
    public long Offset { get; }

    /// <summary>The offset relative to the batch's base offset, as stored.</summary>
    public int OffsetDelta { get; }

    /// <summary>
    /// The record's timestamp in Unix milliseconds: the batch's base timestamp plus
    /// <see cref="TimestampDelta"/>, or the batch's max timestamp when the batch uses LogAppendTime.
    /// </summary>
    public long Timestamp { get; }

    /// <summary>The timestamp relative to the batch's base timestamp, as stored; may be negative.</summary>
    public long TimestampDelta { get; }

    /// <summary>The key's bytes; empty when the key is null or empty (see <see cref="IsKeyNull"/>).</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>Whether the key is null (length -1), as opposed to empty.</summary>
    public bool IsKeyNull { get; }

    /// <summary>The value's bytes; empty when the value is null or empty (see <see cref="IsValueNull"/>).</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Whether the value is null (length -1): a tombstone for compaction.</summary>
    public bool IsValueNull { get; }

    /// <summary>How many headers the record has.</summary>
    public int HeaderCount { get; }

    /// <summary>The headers in wire order; keys may repeat. Use with <c>foreach</c>.</summary>
    public HeaderEnumerator Headers => new(_headers, HeaderCount);

    /// <summary>The record's encoded size, including its length prefix.</summary>
    public int SizeInBytes { get; }

    /// <summary>A copy of the key, or null when it is null. Allocates: for tests and slow paths.</summary>
    public byte[]? KeyToArray() => IsKeyNull ? null : _key.ToArray();

    /// <summary>A copy of the value, or null when it is null. Allocates: for tests and slow paths.</summary>
    public byte[]? ValueToArray() => IsValueNull ? null : _value.ToArray();
}
