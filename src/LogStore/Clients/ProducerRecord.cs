using System.Text;
using LogStore.Records;

namespace LogStore.Clients;

/// <summary>
/// One serialized record on its way into a batch: spans over the producer's scratch buffer, valid only for the call that
/// made them. Carries the record's size bound, which decides whether it fits the open batch.
/// </summary>
internal readonly ref struct ProducerRecord
{
    private ProducerRecord(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull,
        IReadOnlyList<Header>? headers, int sizeUpperBound, int sizeAlone)
    {
        Timestamp = timestamp;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        Headers = headers;
        SizeUpperBound = sizeUpperBound;
        SizeInOwnBatch = sizeAlone;
    }

    /// <summary>Unix milliseconds.</summary>
    public long Timestamp { get; }

    public ReadOnlySpan<byte> Key { get; }

    public bool KeyIsNull { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool ValueIsNull { get; }

    public IReadOnlyList<Header>? Headers { get; }

    /// <summary>The most bytes the record can take in any batch (its timestamp and offset deltas at their widest).</summary>
    public int SizeUpperBound { get; }

    /// <summary>The exact size of a batch holding only this record: what max.message.bytes is checked against.</summary>
    public int SizeInOwnBatch { get; }

    /// <summary>Measures and wraps a record. Sizes past 2 GiB saturate at <see cref="int.MaxValue"/> (and so never fit).</summary>
    public static ProducerRecord Create(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, IReadOnlyList<Header>? headers)
    {
        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;

        // Kafka's DefaultRecord.sizeInBytes: length varint, attributes, timestamp delta, offset delta, key, value, headers.
        long fixedPart = 1L + VarInt.SizeOfVarInt(keyLength) + Math.Max(keyLength, 0)
            + VarInt.SizeOfVarInt(valueLength) + Math.Max(valueLength, 0) + HeadersSize(headers);
        long alone = fixedPart + 1 + 1; // both deltas are 0 in a batch of one
        long widest = fixedPart + 10 + 5; // a varlong and a varint at their widest
        alone += VarInt.SizeOfVarInt((int)Math.Min(alone, int.MaxValue));
        widest += 5;
        return new ProducerRecord(timestamp, key, keyIsNull, value, valueIsNull, headers,
            Saturate(widest), Saturate(RecordBatch.HeaderSize + alone));
    }

    private static long HeadersSize(IReadOnlyList<Header>? headers)
    {
        int count = headers?.Count ?? 0;
        long size = VarInt.SizeOfVarInt(count);
        for (int i = 0; i < count; i++)
        {
            Header header = headers![i];
            int keyLength = header.Key is null ? 0 : Encoding.UTF8.GetByteCount(header.Key);
            int valueLength = header.Value?.Length ?? -1;
            size += VarInt.SizeOfVarInt(keyLength) + keyLength + VarInt.SizeOfVarInt(valueLength) + Math.Max(valueLength, 0);
        }
        return size;
    }

    private static int Saturate(long size) => (int)Math.Min(size, int.MaxValue);
}
