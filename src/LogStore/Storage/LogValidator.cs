using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Storage;

/// <summary>
/// The timestamp checks of Kafka's LogValidator, run on every <see cref="TimestampType.CreateTime"/> batch before it is
/// appended: no record timestamp is negative (time retention would delete it at once: a segment is due when its largest
/// timestamp is older than retention.ms), and each lies within the topic's
/// <see cref="TopicConfig.MessageTimestampBeforeMax"/> / <see cref="TopicConfig.MessageTimestampAfterMax"/> of the
/// broker's clock (KIP-937). A LogAppendTime batch is stamped by the log and not checked.
/// </summary>
/// <remarks>
/// <para>Cost, per batch: a batch this process has just built comes with its smallest record timestamp (its builder
/// tracked it, and the producer refused negative timestamps record by record) and an exact maxTimestamp, so only the
/// header is read. A batch from elsewhere (<see cref="Partition.AppendAsync(RecordBatch, CancellationToken)"/>) has each record's length and timestamp
/// read (no other field), and a compressed one is decompressed for it, as Kafka's broker does; its maxTimestamp must
/// equal its largest record timestamp, since retention and the time index trust it.</para>
/// <para>The clock is read only when a bound needs it. The after bound is checked first against
/// the clock floor (<c>clockFloorMs</c>), the partition's last reading: the clock only moves on, so a batch within the bound of
/// an earlier reading is within it now, and a steady stream of current timestamps reads the clock about once per bound.
/// Not thread-safe: called under the partition's write lock.</para>
/// </remarks>
internal static class LogValidator
{
    /// <summary>Why the timestamps of <paramref name="batch"/> cannot be appended, or null.</summary>
    /// <param name="batch">A batch whose framing, size and CRC are already checked.</param>
    /// <param name="builtMinTimestamp">The smallest record timestamp of a batch this process built, or null for a batch
    /// from elsewhere, whose records are then read.</param>
    /// <param name="id">The partition, for the error.</param>
    /// <param name="config">The bounds.</param>
    /// <param name="clock">The append call's clock, read at most once.</param>
    /// <param name="clockFloorMs">The partition's latest reading of the clock, updated when the clock is read.</param>
    public static LogStoreException? ValidateTimestamps(RecordBatch batch, long? builtMinTimestamp, TopicPartition id,
        TopicConfig config, ref AppendClock clock, ref long clockFloorMs)
    {
        if (batch.TimestampType == TimestampType.LogAppendTime)
            return null;
        long maxTimestamp = batch.MaxTimestamp;
        long minTimestamp;
        if (builtMinTimestamp is { } built)
        {
            minTimestamp = built;
        }
        else if (ReadRecordTimestamps(batch, out minTimestamp, out long recordMax) is { } corrupt)
        {
            return corrupt;
        }
        else if (recordMax != maxTimestamp)
        {
            return new CorruptRecordException(
                $"The batch's maxTimestamp {maxTimestamp} is not its largest record timestamp {recordMax}; retention and the time index rely on it.");
        }

        if (minTimestamp < 0)
            return InvalidTimestampException.Negative(id, minTimestamp);

        // From here 0 <= minTimestamp <= maxTimestamp (a builder's maximum is at least its minimum), so none of the
        // differences below overflows.
        if (config.MessageTimestampAfterMax is { } after)
        {
            long afterMs = after.Ticks / TimeSpan.TicksPerMillisecond;
            if (maxTimestamp - afterMs > clockFloorMs)
            {
                long nowMs = clockFloorMs = clock.NowMs;
                if (maxTimestamp - afterMs > nowMs)
                    return InvalidTimestampException.TooNew(id, maxTimestamp, nowMs, afterMs);
            }
        }
        if (config.MessageTimestampBeforeMax is { } before)
        {
            long beforeMs = before.Ticks / TimeSpan.TicksPerMillisecond;
            long nowMs = clockFloorMs = clock.NowMs;
            if (nowMs - beforeMs > minTimestamp)
                return InvalidTimestampException.TooOld(id, minTimestamp, nowMs, beforeMs);
        }
        return null;
    }

    /// <summary>
    /// Reads each record's timestamp of a batch from elsewhere: its length, then past the attributes byte its timestamp
    /// delta, then on to the next record, reading no further field. A record whose other fields are damaged reads the
    /// same timestamp here as in a reader, which refuses it; the framing (a length past the region, a record count that
    /// does not match it) is checked, so the walk never reads another record's bytes as a timestamp.
    /// </summary>
    private static CorruptRecordException? ReadRecordTimestamps(RecordBatch batch, out long min, out long max)
    {
        min = long.MaxValue;
        max = long.MinValue;
        PooledBufferWriter? decompressed = null;
        try
        {
            ReadOnlySpan<byte> records = batch.Span[RecordBatch.HeaderSize..];
            if (batch.Compression != CompressionType.None)
            {
                decompressed = CompressionCodecs.Decompress(batch.Compression, records, RecordBatch.DefaultMaxDecompressedBytes);
                records = decompressed.WrittenSpan;
            }
            long baseTimestamp = batch.BaseTimestamp;
            int position = 0;
            for (int i = batch.RecordCount; i > 0; i--)
            {
                int length = VarInt.ReadVarInt(records, ref position);
                if (length < 2 || length > records.Length - position)
                    return Framing(batch, position);
                int field = position + 1;
                long timestamp = unchecked(baseTimestamp + VarInt.ReadVarLong(records[..(position + length)], ref field));
                if (timestamp < min)
                    min = timestamp;
                if (timestamp > max)
                    max = timestamp;
                position += length;
            }
            return position == records.Length ? null : Framing(batch, position);
        }
        catch (CorruptRecordException e)
        {
            return e;
        }
        finally
        {
            decompressed?.Dispose();
        }
    }

    private static CorruptRecordException Framing(RecordBatch batch, int position) =>
        new($"The batch's {batch.RecordCount} records do not fill its records region: the record at byte {position} is cut " +
            "short or overruns it, or bytes follow the last record.");
}
