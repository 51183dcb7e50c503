using System.Buffers.Binary;
using System.Text;

namespace LogStore.Clients.Groups;

/// <summary>
/// Encodes the records of <c>__consumer_offsets</c> exactly as Kafka's group coordinator does, so the topic reads like
/// Kafka's own: key = OffsetCommitKey v1, value = OffsetCommitValue v3, a null value (tombstone) deletes the key.
/// Stateless and thread-safe.
/// </summary>
/// <remarks>
/// <para>Key (big-endian): version int16 = 1, group (int16 length + UTF-8), topic (int16 length + UTF-8), partition
/// int32. Keys of other versions (Kafka's version 2 is group metadata) are skipped when loading.</para>
/// <para>Value (big-endian): version int16 = 3, offset int64 (the next offset to consume), leaderEpoch int32 (-1:
/// none), metadata (int16 length + UTF-8, empty here), commitTimestamp int64 (Unix milliseconds).</para>
/// </remarks>
internal static class OffsetCommitCodec
{
    /// <summary>The key version of an offset commit.</summary>
    public const short KeyVersion = 1;

    /// <summary>The value version written.</summary>
    public const short ValueVersion = 3;

    /// <summary>Bytes of a value with empty metadata.</summary>
    public const int ValueSize = 2 + 8 + 4 + 2 + 8;

    /// <summary>The encoded size of the key of <paramref name="group"/>/<paramref name="partition"/>.</summary>
    public static int KeySize(string group, TopicPartition partition) =>
        2 + 2 + Encoding.UTF8.GetByteCount(group) + 2 + Encoding.UTF8.GetByteCount(partition.Topic) + 4;

    /// <summary>Writes the key into <paramref name="destination"/> (at least <see cref="KeySize"/> bytes); returns its length.</summary>
    public static int WriteKey(Span<byte> destination, string group, TopicPartition partition)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, KeyVersion);
        int at = 2;
        at += WriteString(destination[at..], group);
        at += WriteString(destination[at..], partition.Topic);
        BinaryPrimitives.WriteInt32BigEndian(destination[at..], partition.Partition);
        return at + 4;
    }

    /// <summary>Writes a value for <paramref name="offset"/> committed at <paramref name="commitTimestampMs"/>; returns its length.</summary>
    public static int WriteValue(Span<byte> destination, long offset, long commitTimestampMs)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, ValueVersion);
        BinaryPrimitives.WriteInt64BigEndian(destination[2..], offset);
        BinaryPrimitives.WriteInt32BigEndian(destination[10..], -1);
        BinaryPrimitives.WriteInt16BigEndian(destination[14..], 0);
        BinaryPrimitives.WriteInt64BigEndian(destination[16..], commitTimestampMs);
        return ValueSize;
    }

    /// <summary>Reads an offset-commit key; false for keys of another kind or version.</summary>
    /// <exception cref="CorruptRecordException">The key says it is an offset commit but is malformed.</exception>
    public static bool TryReadKey(ReadOnlySpan<byte> key, out string group, out TopicPartition partition)
    {
        group = "";
        partition = default;
        if (key.Length < 2)
            throw Malformed("key", key.Length);
        short version = BinaryPrimitives.ReadInt16BigEndian(key);
        if (version is not (0 or 1))
            return false;
        int at = 2;
        group = ReadString(key, ref at, "key");
        string topic = ReadString(key, ref at, "key");
        if (key.Length - at != 4)
            throw Malformed("key", key.Length);
        partition = new TopicPartition(topic, BinaryPrimitives.ReadInt32BigEndian(key[at..]));
        return true;
    }

    /// <summary>Reads an offset-commit value of version 0 to 3 into the offset and commit time.</summary>
    /// <exception cref="CorruptRecordException">The value is malformed or of an unknown version.</exception>
    public static (long Offset, long CommitTimestampMs) ReadValue(ReadOnlySpan<byte> value)
    {
        if (value.Length < 10)
            throw Malformed("value", value.Length);
        short version = BinaryPrimitives.ReadInt16BigEndian(value);
        long offset = BinaryPrimitives.ReadInt64BigEndian(value[2..]);
        int at = 10;
        if (version >= 3)
            at += 4; // leaderEpoch
        else if (version < 0 || version > 3)
            throw new CorruptRecordException($"An offset commit value of version {version} is not known (0 to 3 are).");
        ReadString(value, ref at, "value");
        if (value.Length - at < 8)
            throw Malformed("value", value.Length);
        long commitTimestamp = BinaryPrimitives.ReadInt64BigEndian(value[at..]);
        return (offset, commitTimestamp);
    }

    /// <summary>Kafka's partition of <c>__consumer_offsets</c> for a group: Java's String.hashCode, made non-negative, modulo the count.</summary>
    public static int PartitionFor(string group, int partitionCount)
    {
        int hash = 0;
        foreach (char c in group)
            hash = unchecked((31 * hash) + c);
        return (hash & 0x7fffffff) % partitionCount;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        int length = Encoding.UTF8.GetBytes(value, destination[2..]);
        if (length > short.MaxValue)
            throw new ArgumentException($"'{value[..32]}…' is longer than {short.MaxValue} UTF-8 bytes.", nameof(value));
        BinaryPrimitives.WriteInt16BigEndian(destination, (short)length);
        return 2 + length;
    }

    private static string ReadString(ReadOnlySpan<byte> data, ref int at, string what)
    {
        if (data.Length - at < 2)
            throw Malformed(what, data.Length);
        int length = BinaryPrimitives.ReadInt16BigEndian(data[at..]);
        at += 2;
        if (length < 0 || length > data.Length - at)
            throw Malformed(what, data.Length);
        string value = Encoding.UTF8.GetString(data.Slice(at, length));
        at += length;
        return value;
    }

    private static CorruptRecordException Malformed(string what, int length) =>
        new($"An offset commit {what} of {length} bytes in {OffsetStore.TopicName} is malformed.");
}
