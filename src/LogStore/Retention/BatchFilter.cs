using System.Buffers.Binary;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Retention;

/// <summary>What <see cref="BatchFilter.Filter"/> decided for a batch.</summary>
internal enum FilterOutcome
{
    /// <summary>Every record stays and nothing changes: copy the batch's bytes as they are.</summary>
    Unchanged,
    /// <summary>Some records stay, or a delete horizon was set: the new batch is in the output buffer.</summary>
    Rewritten,
    /// <summary>No record stays.</summary>
    Dropped,
}

/// <summary>
/// The cleaner's per-batch rule (Kafka's MemoryRecords.filterTo with the cleaner's retention predicate) and the
/// re-encoding of what stays.
/// </summary>
/// <remarks>
/// <para>A record stays when it has a key, no later record of that key is in the <see cref="OffsetMap"/>, and it is not
/// a tombstone whose batch's delete horizon has passed. Records without a key cannot be compacted and are dropped, as
/// Kafka's cleaner does.</para>
/// <para>Tombstones expire as in KIP-534: the first cleaning that keeps a tombstone stamps its batch with a delete
/// horizon (now + <see cref="TopicConfig.DeleteRetentionTime"/>; attribute bit 6, the horizon stored as the base
/// timestamp and the records' timestamp deltas rebased so every timestamp stays the same), and a cleaning after the
/// horizon drops it. The horizon counts from when the cleaner first saw the tombstone, not from its own timestamp, so a
/// tombstone with an old timestamp still stays readable for the whole delete retention.</para>
/// <para>A rewritten batch keeps its base offset, its lastOffsetDelta (so its last offset and the producer's sequence
/// range stay, as Kafka's overrideLastOffset), its producer fields, its partition leader epoch, its timestamp type and
/// its codec: retained records keep their offset deltas and their bytes, and a compressed batch is compressed again with
/// its own codec. Its maxTimestamp becomes the largest retained timestamp (CreateTime).</para>
/// <para>Thread-safety: none; one per cleaner. Its buffers are pooled and reused.</para>
/// </remarks>
internal sealed class BatchFilter : IDisposable
{
    private readonly PooledBufferWriter _records = new(64 * 1024);
    private readonly PooledBufferWriter _rebased = new(64 * 1024);
    private readonly PooledBufferWriter _output = new(64 * 1024);

    /// <summary>The rewritten batch after <see cref="FilterOutcome.Rewritten"/>, valid until the next call.</summary>
    public ReadOnlySpan<byte> Output => _output.WrittenSpan;

    /// <summary>The delete horizon of a tombstone kept by the last call, or <see cref="long.MaxValue"/> when it kept none.</summary>
    public long RetainedTombstoneHorizon { get; private set; }

    /// <summary>Decides which records of <paramref name="batch"/> stay.</summary>
    public FilterOutcome Filter(RecordBatch batch, OffsetMap map, long nowMs, long deleteRetentionMs)
    {
        RetainedTombstoneHorizon = long.MaxValue;
        if (batch.IsControlBatch)
            return FilterOutcome.Unchanged;
        bool hasHorizon = batch.HasDeleteHorizon;
        bool horizonPassed = hasHorizon && batch.BaseTimestamp <= nowMs;
        bool logAppendTime = batch.TimestampType == TimestampType.LogAppendTime;
        int retained = 0;
        int tombstones = 0;
        long maxTimestamp = -1;
        _records.Clear();
        using (DecompressedRecords records = batch.DecompressRecords())
        {
            ReadOnlySpan<byte> data = records.Data.Span;
            RecordCursor cursor = records.CreateCursor();
            int start = 0;
            while (cursor.MoveNext(data, out Record record))
            {
                int end = cursor.Position;
                if (ShouldRetain(record, map, horizonPassed))
                {
                    retained++;
                    if (record.IsValueNull)
                        tombstones++;
                    maxTimestamp = Math.Max(maxTimestamp, record.Timestamp);
                    data[start..end].CopyTo(_records.GetSpan(end - start));
                    _records.Advance(end - start);
                }
                start = end;
            }
        }

        bool setHorizon = tombstones > 0 && !hasHorizon;
        if (tombstones > 0)
            RetainedTombstoneHorizon = setHorizon ? nowMs + deleteRetentionMs : batch.BaseTimestamp;
        if (retained == 0)
            return FilterOutcome.Dropped;
        if (retained == batch.RecordCount && !setHorizon)
            return FilterOutcome.Unchanged;

        long baseTimestamp = batch.BaseTimestamp;
        ReadOnlySpan<byte> retainedRecords = _records.WrittenSpan;
        if (setHorizon)
        {
            retainedRecords = Rebase(retainedRecords, batch.BaseOffset, baseTimestamp, nowMs + deleteRetentionMs);
            baseTimestamp = nowMs + deleteRetentionMs;
        }
        WriteBatch(batch, retainedRecords, retained, baseTimestamp, logAppendTime ? batch.MaxTimestamp : maxTimestamp, hasHorizon || setHorizon);
        return FilterOutcome.Rewritten;
    }

    /// <summary>A batch with no records that keeps <paramref name="batch"/>'s offsets, producer fields and maxTimestamp
    /// (Kafka's empty batch header), written to <see cref="Output"/>: it keeps the end offset of a cleaned segment whose
    /// last records were all removed.</summary>
    public void WriteEmpty(RecordBatch batch)
    {
        _output.Clear();
        Span<byte> header = _output.GetSpan(RecordBatch.HeaderSize)[..RecordBatch.HeaderSize];
        batch.Span[..RecordBatch.HeaderSize].CopyTo(header);
        short attributes = (short)(batch.Attributes & (RecordBatch.TimestampTypeMask | RecordBatch.TransactionalMask | RecordBatch.ControlMask));
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatch.BatchLengthOffset..], RecordBatch.HeaderSize - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatch.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatch.BaseTimestampOffset..], batch.MaxTimestamp);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatch.RecordCountOffset..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(header[RecordBatch.CrcOffset..], Crc32C.Compute(header[RecordBatch.AttributesOffset..]));
        _output.Advance(RecordBatch.HeaderSize);
    }

    private static bool ShouldRetain(Record record, OffsetMap map, bool horizonPassed)
    {
        if (record.IsKeyNull)
            return false;
        long latest = map.Get(OffsetMap.Hash(record.Key));
        if (latest >= 0 && record.Offset < latest)
            return false;
        return !(record.IsValueNull && horizonPassed);
    }

    /// <summary>Re-encodes raw records for a new base timestamp: only each record's length prefix and timestamp delta
    /// change, the rest of its bytes are copied.</summary>
    private ReadOnlySpan<byte> Rebase(ReadOnlySpan<byte> records, long baseOffset, long oldBase, long newBase)
    {
        _rebased.Clear();
        int position = 0;
        while (position < records.Length)
        {
            int start = position;
            if (!RecordReader.TryReadNext(records, ref position, baseOffset, oldBase, out Record record))
                break;
            int p = start;
            int bodyLength = VarInt.ReadVarInt(records, ref p);
            int bodyStart = p;
            p++; // attributes
            VarInt.ReadVarLong(records, ref p);
            VarInt.ReadVarInt(records, ref p);
            ReadOnlySpan<byte> rest = records[p..(bodyStart + bodyLength)];
            long delta = unchecked(oldBase + record.TimestampDelta - newBase);
            int newBody = 1 + VarInt.SizeOfVarLong(delta) + VarInt.SizeOfVarInt(record.OffsetDelta) + rest.Length;
            int total = VarInt.SizeOfVarInt(newBody) + newBody;
            Span<byte> target = _rebased.GetSpan(total);
            int w = 0;
            VarInt.WriteVarInt(target, ref w, newBody);
            target[w++] = records[bodyStart];
            VarInt.WriteVarLong(target, ref w, delta);
            VarInt.WriteVarInt(target, ref w, record.OffsetDelta);
            rest.CopyTo(target[w..]);
            _rebased.Advance(total);
        }
        return _rebased.WrittenSpan;
    }

    private void WriteBatch(RecordBatch original, ReadOnlySpan<byte> records, int count, long baseTimestamp, long maxTimestamp, bool deleteHorizon)
    {
        _output.Clear();
        original.Span[..RecordBatch.HeaderSize].CopyTo(_output.GetSpan(RecordBatch.HeaderSize));
        _output.Advance(RecordBatch.HeaderSize);
        CompressionType codec = original.Compression;
        if (codec == CompressionType.None)
        {
            records.CopyTo(_output.GetSpan(records.Length));
            _output.Advance(records.Length);
        }
        else
        {
            CompressionCodecs.Compress(codec, records, _output);
        }
        Span<byte> batch = _output.WrittenSpan;
        short attributes = original.Attributes;
        if (deleteHorizon)
            attributes = (short)(attributes | RecordBatch.DeleteHorizonMask);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BatchLengthOffset..], batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.BaseTimestampOffset..], baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.RecordCountOffset..], count);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatch.CrcOffset..], Crc32C.Compute(batch[RecordBatch.AttributesOffset..]));
    }

    public void Dispose()
    {
        _records.Dispose();
        _rebased.Dispose();
        _output.Dispose();
    }
}
