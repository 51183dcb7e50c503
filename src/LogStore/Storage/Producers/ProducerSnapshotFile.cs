using System.Buffers.Binary;
using LogStore.Records;
using LogStore.Storage.Files;

namespace LogStore.Storage.Producers;

/// <summary>One producer as a snapshot keeps it (Kafka's ProducerStateEntry in a v1 snapshot): its epoch and its last
/// batch — the sequence and offset of that batch's last record, the batch's offset delta and its max timestamp.
/// <see cref="LastOffset"/> is -1 for a producer whose epoch is known but none of whose batches is.</summary>
internal readonly record struct ProducerSnapshotEntry(long ProducerId, short Epoch, int LastSequence, long LastOffset, int OffsetDelta, long Timestamp);

/// <summary>
/// Kafka's producer-state snapshot file, <c>&lt;20-digit offset&gt;.snapshot</c> (ProducerStateManager's version 1
/// schema), byte for byte: <c>version int16 = 1</c>, <c>crc uint32</c> (CRC32C of every byte after it), then the
/// producer entries as a Kafka array (<c>int32</c> count, then per entry <c>producer_id int64, epoch int16,
/// last_sequence int32, last_offset int64, offset_delta int32, timestamp int64, coordinator_epoch int32,
/// current_txn_first_offset int64</c>, 46 bytes). The file's offset is the first offset its state does not cover.
/// </summary>
/// <remarks>
/// <para>Written atomically (temporary file, fsync, rename; see <see cref="DurableFile"/>): after a crash it is whole or
/// absent. Anything else — a short or long file, another version, a count that does not match the length, a CRC that
/// does not match — is reported as the reason it cannot be used; the caller ignores it and rebuilds from the segments.</para>
/// <para>LogStore has no transactions: it writes coordinator epoch -1 and no open transaction (-1), and reads past both.
/// Thread-safety: stateless.</para>
/// </remarks>
internal static class ProducerSnapshotFile
{
    private const short Version = 1;
    private const int CrcOffset = 2;
    private const int CountOffset = 6;
    private const int HeaderSize = 10;
    private const int EntrySize = 46;
    private const int NoCoordinatorEpoch = -1;
    private const long NoTransaction = -1;

    // A snapshot of a million producers is 46 MB: anything larger is not one of ours, and is not read into memory.
    private const long MaxFileSize = 64L << 20;

    /// <summary>The file's bytes for <paramref name="entries"/>.</summary>
    public static byte[] Encode(IReadOnlyList<ProducerSnapshotEntry> entries)
    {
        var bytes = new byte[HeaderSize + (entries.Count * EntrySize)];
        Span<byte> span = bytes;
        BinaryPrimitives.WriteInt16BigEndian(span, Version);
        BinaryPrimitives.WriteInt32BigEndian(span[CountOffset..], entries.Count);
        int position = HeaderSize;
        foreach (ProducerSnapshotEntry e in entries)
        {
            Span<byte> entry = span.Slice(position, EntrySize);
            BinaryPrimitives.WriteInt64BigEndian(entry, e.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(entry[8..], e.Epoch);
            BinaryPrimitives.WriteInt32BigEndian(entry[10..], e.LastSequence);
            BinaryPrimitives.WriteInt64BigEndian(entry[14..], e.LastOffset);
            BinaryPrimitives.WriteInt32BigEndian(entry[22..], e.OffsetDelta);
            BinaryPrimitives.WriteInt64BigEndian(entry[26..], e.Timestamp);
            BinaryPrimitives.WriteInt32BigEndian(entry[34..], NoCoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(entry[38..], NoTransaction);
            position += EntrySize;
        }
        BinaryPrimitives.WriteUInt32BigEndian(span[CrcOffset..], Crc32C.Compute(span[CountOffset..]));
        return bytes;
    }

    /// <summary>The entries of a snapshot file's bytes, or null with <paramref name="problem"/> saying why they are not one.</summary>
    public static List<ProducerSnapshotEntry>? Decode(ReadOnlySpan<byte> bytes, out string? problem)
    {
        problem = null;
        if (bytes.Length < HeaderSize)
        {
            problem = $"it is {bytes.Length} bytes long, shorter than the {HeaderSize}-byte header";
            return null;
        }
        short version = BinaryPrimitives.ReadInt16BigEndian(bytes);
        if (version != Version)
        {
            problem = $"its version is {version}; only version {Version} is read";
            return null;
        }
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes[CountOffset..]);
        if (count < 0 || HeaderSize + ((long)count * EntrySize) != bytes.Length)
        {
            problem = $"it claims {count} producer entries but is {bytes.Length} bytes long";
            return null;
        }
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(bytes[CrcOffset..]);
        uint computed = Crc32C.Compute(bytes[CountOffset..]);
        if (stored != computed)
        {
            problem = $"its CRC is {stored:x8} but its bytes give {computed:x8}";
            return null;
        }
        var entries = new List<ProducerSnapshotEntry>(count);
        for (int position = HeaderSize; position < bytes.Length; position += EntrySize)
        {
            ReadOnlySpan<byte> entry = bytes.Slice(position, EntrySize);
            entries.Add(new ProducerSnapshotEntry(
                BinaryPrimitives.ReadInt64BigEndian(entry),
                BinaryPrimitives.ReadInt16BigEndian(entry[8..]),
                BinaryPrimitives.ReadInt32BigEndian(entry[10..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[14..]),
                BinaryPrimitives.ReadInt32BigEndian(entry[22..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[26..])));
        }
        return entries;
    }

    /// <summary>Reads and decodes <paramref name="path"/>; null with <paramref name="problem"/> when it cannot be used.</summary>
    /// <exception cref="StorageException">The entry is a link or not a regular file (refused, never followed).</exception>
    public static List<ProducerSnapshotEntry>? Read(string path, out string? problem)
    {
        byte[] bytes;
        try
        {
            using FileStream stream = StoreFile.Open(path, FileMode.Open, FileAccess.Read);
            long length = stream.Length;
            if (length > MaxFileSize)
            {
                problem = $"it is {length} bytes long, more than a snapshot of this store can be";
                return null;
            }
            bytes = new byte[length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"it cannot be read: {e.Message}";
            return null;
        }
        return Decode(bytes, out problem);
    }
}
