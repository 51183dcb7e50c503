using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LogStore.Cluster.Records;

/// <summary>
/// The binary format of one controller log entry (or snapshot): a format byte (<see cref="FormatVersion"/>), then
/// records, each a type byte, a version byte, a 4-byte big-endian payload length and the payload. Integers are
/// big-endian, strings a 2-byte length and UTF-8, node lists a 2-byte count and 4-byte ids, ids 16 bytes. A reader
/// refuses an unknown format, type or version with <see cref="CorruptRecordException"/> rather than guess, so an old
/// node never misapplies a newer controller's entry. Version 1 of the partition records appends the eligible leader
/// replicas; a record without them is written as version 0, readable by nodes that predate them. Stateless,
/// thread-safe.
/// </summary>
internal static class MetadataRecordSerde
{
    public const byte FormatVersion = 1;
    private const byte RecordVersion = 0;
    private const byte ElrVersion = 1;
    private const int HeaderSize = 6;
    private const int MaxStringBytes = 1024;

    public static byte[] Serialize(IReadOnlyList<MetadataRecord> records)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.GetSpan(1)[0] = FormatVersion;
        buffer.Advance(1);
        foreach (var record in records)
            Write(buffer, record);
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="CorruptRecordException">The bytes are not an entry of a known format.</exception>
    public static List<MetadataRecord> Deserialize(ReadOnlySequence<byte> entry)
    {
        var reader = new SequenceReader<byte>(entry);
        if (!reader.TryRead(out byte format) || format != FormatVersion)
            throw Corrupt($"unknown entry format {format}");
        var records = new List<MetadataRecord>();
        while (!reader.End)
        {
            if (!reader.TryRead(out byte type) || !reader.TryRead(out byte version) || !reader.TryReadBigEndian(out int length)
                || length < 0 || reader.Remaining < length)
                throw Corrupt("truncated record header");
            bool hasElr = version == ElrVersion && (MetadataRecordType)type is MetadataRecordType.Partition or MetadataRecordType.PartitionChange;
            if (version != RecordVersion && !hasElr)
                throw Corrupt($"record type {type} has unknown version {version}");
            var payload = new SequenceReader<byte>(reader.UnreadSequence.Slice(0, length));
            reader.Advance(length);
            records.Add(Read(ref payload, (MetadataRecordType)type, hasElr));
            if (!payload.End)
                throw Corrupt($"record type {type} has {payload.Remaining} bytes too many");
        }
        return records;
    }

    private static void Write(ArrayBufferWriter<byte> buffer, MetadataRecord record)
    {
        // The header's length is known only after the payload: reserve it, patch it at the end.
        int start = buffer.WrittenCount;
        buffer.GetSpan(HeaderSize)[..HeaderSize].Clear();
        buffer.Advance(HeaderSize);
        MetadataRecordType type;
        byte version = RecordVersion;
        switch (record)
        {
            case RegisterNodeRecord r:
                type = MetadataRecordType.RegisterNode;
                WriteInt(buffer, r.NodeId); WriteLong(buffer, r.NodeEpoch); WriteString(buffer, r.Host); WriteInt(buffer, r.Port);
                break;
            case FenceNodeRecord r:
                type = MetadataRecordType.FenceNode;
                WriteInt(buffer, r.NodeId); WriteLong(buffer, r.NodeEpoch);
                break;
            case UnfenceNodeRecord r:
                type = MetadataRecordType.UnfenceNode;
                WriteInt(buffer, r.NodeId); WriteLong(buffer, r.NodeEpoch);
                break;
            case TopicRecord r:
                type = MetadataRecordType.Topic;
                WriteString(buffer, r.Name); WriteGuid(buffer, r.TopicId); WriteByte(buffer, r.UncleanLeaderElection ? (byte)1 : (byte)0);
                break;
            case PartitionRecord r:
                type = MetadataRecordType.Partition;
                WriteGuid(buffer, r.TopicId); WriteInt(buffer, r.Partition); WriteNodes(buffer, r.Replicas); WriteInt(buffer, r.Leader);
                WriteInt(buffer, r.LeaderEpoch); WriteNodes(buffer, r.Isr); WriteInt(buffer, r.PartitionEpoch);
                if (r.Elr is { Length: > 0 } elr)
                {
                    WriteNodes(buffer, elr);
                    version = ElrVersion;
                }
                break;
            case PartitionChangeRecord r:
                type = MetadataRecordType.PartitionChange;
                WriteGuid(buffer, r.TopicId); WriteInt(buffer, r.Partition); WriteInt(buffer, r.Leader); WriteNodes(buffer, r.Isr);
                if (r.Elr is { } changedElr)
                {
                    WriteNodes(buffer, changedElr);
                    version = ElrVersion;
                }
                break;
            case TopicConfigRecord r:
                type = MetadataRecordType.TopicConfig;
                WriteGuid(buffer, r.TopicId); WriteString(buffer, r.Name); WriteString(buffer, r.Value);
                break;
            default:
                throw new ArgumentException($"Unknown metadata record {record.GetType().Name}.", nameof(record));
        }
        var written = System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer.WrittenMemory).Span.Slice(start, HeaderSize);
        written[0] = (byte)type;
        written[1] = version;
        BinaryPrimitives.WriteInt32BigEndian(written[2..], buffer.WrittenCount - start - HeaderSize);
    }

    private static MetadataRecord Read(ref SequenceReader<byte> r, MetadataRecordType type, bool hasElr) => type switch
    {
        MetadataRecordType.RegisterNode => new RegisterNodeRecord(ReadInt(ref r), ReadLong(ref r), ReadString(ref r), ReadInt(ref r)),
        MetadataRecordType.FenceNode => new FenceNodeRecord(ReadInt(ref r), ReadLong(ref r)),
        MetadataRecordType.UnfenceNode => new UnfenceNodeRecord(ReadInt(ref r), ReadLong(ref r)),
        MetadataRecordType.Topic => new TopicRecord(ReadString(ref r), ReadGuid(ref r), ReadByte(ref r) != 0),
        MetadataRecordType.Partition => new PartitionRecord(ReadGuid(ref r), ReadInt(ref r), ReadNodes(ref r), ReadInt(ref r), ReadInt(ref r),
            ReadNodes(ref r), ReadInt(ref r), hasElr ? ReadNodes(ref r) : null),
        MetadataRecordType.PartitionChange => new PartitionChangeRecord(ReadGuid(ref r), ReadInt(ref r), ReadInt(ref r), ReadNodes(ref r),
            hasElr ? ReadNodes(ref r) : null),
        MetadataRecordType.TopicConfig => new TopicConfigRecord(ReadGuid(ref r), ReadString(ref r), ReadString(ref r)),
        _ => throw Corrupt($"unknown record type {(byte)type}"),
    };

    private static void WriteByte(ArrayBufferWriter<byte> b, byte value)
    {
        b.GetSpan(1)[0] = value;
        b.Advance(1);
    }

    private static void WriteInt(ArrayBufferWriter<byte> b, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(b.GetSpan(4), value);
        b.Advance(4);
    }

    private static void WriteLong(ArrayBufferWriter<byte> b, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(b.GetSpan(8), value);
        b.Advance(8);
    }

    private static void WriteGuid(ArrayBufferWriter<byte> b, Guid value)
    {
        value.TryWriteBytes(b.GetSpan(16), bigEndian: true, out _);
        b.Advance(16);
    }

    private static void WriteString(ArrayBufferWriter<byte> b, string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length > MaxStringBytes)
            throw new ArgumentException($"A name of {length} bytes is longer than {MaxStringBytes}.", nameof(value));
        var span = b.GetSpan(2 + length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)length);
        Encoding.UTF8.GetBytes(value, span[2..]);
        b.Advance(2 + length);
    }

    private static void WriteNodes(ArrayBufferWriter<byte> b, int[] nodes)
    {
        var span = b.GetSpan(2 + 4 * nodes.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, checked((ushort)nodes.Length));
        for (int i = 0; i < nodes.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(span[(2 + 4 * i)..], nodes[i]);
        b.Advance(2 + 4 * nodes.Length);
    }

    private static byte ReadByte(ref SequenceReader<byte> r) => r.TryRead(out byte v) ? v : throw Truncated();

    private static int ReadInt(ref SequenceReader<byte> r) => r.TryReadBigEndian(out int v) ? v : throw Truncated();

    private static long ReadLong(ref SequenceReader<byte> r) => r.TryReadBigEndian(out long v) ? v : throw Truncated();

    private static Guid ReadGuid(ref SequenceReader<byte> r)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!r.TryCopyTo(bytes))
            throw Truncated();
        r.Advance(16);
        return new Guid(bytes, bigEndian: true);
    }

    private static string ReadString(ref SequenceReader<byte> r)
    {
        if (!r.TryReadBigEndian(out short raw) || (ushort)raw > MaxStringBytes || r.Remaining < (ushort)raw)
            throw Truncated();
        var bytes = r.UnreadSequence.Slice(0, (ushort)raw);
        r.Advance((ushort)raw);
        return Encoding.UTF8.GetString(bytes);
    }

    private static int[] ReadNodes(ref SequenceReader<byte> r)
    {
        if (!r.TryReadBigEndian(out short raw) || r.Remaining < 4L * (ushort)raw)
            throw Truncated();
        var nodes = new int[(ushort)raw];
        for (int i = 0; i < nodes.Length; i++)
            nodes[i] = ReadInt(ref r);
        return nodes;
    }

    private static CorruptRecordException Truncated() => Corrupt("truncated record");

    private static CorruptRecordException Corrupt(string detail) => new($"A controller log entry is corrupt: {detail}.");
}
