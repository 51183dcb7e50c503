using System.Buffers.Binary;
using LogStore.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>What an append of a <see cref="HostileTimestamps"/> batch must end in.</summary>
internal enum TimestampOutcome
{
    /// <summary>Appended, every record read back with the timestamp it was written with (or the log's, under LogAppendTime).</summary>
    Appended,

    /// <summary>Refused with <see cref="InvalidTimestampException"/>: a negative timestamp or one outside the bounds.</summary>
    InvalidTimestamp,

    /// <summary>Refused with <see cref="CorruptRecordException"/>: the header's maxTimestamp is not the records' largest.</summary>
    Corrupt,
}

/// <summary>
/// Well-formed, CRC-valid batches whose timestamps are hostile: edge values (long.MinValue, -1, 0, long.MaxValue, the
/// year 3000), values one millisecond either side of the topic's bounds, honest ones and random ones, in any order (so
/// the smallest is often not the first), under every codec; now and then LogAppendTime, and a header whose baseTimestamp
/// or maxTimestamp lies (CRC recomputed). <see cref="Expected"/> says what an append must do, computed from the
/// timestamps as the records will read them, not from the log's code.
/// </summary>
internal static class HostileTimestamps
{
    private static readonly long Year3000 = new DateTimeOffset(3000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly long[] s_edges = [long.MinValue, long.MinValue + 1, -1000, -1, 0, 1, Year3000, long.MaxValue - 1, long.MaxValue];
    private static readonly CompressionType[] s_codecs = Enum.GetValues<CompressionType>();

    /// <summary>One batch for a topic with these bounds (null: none) at clock <paramref name="nowMs"/>; <paramref name="what"/> describes it.</summary>
    public static byte[] Batch(Random random, long nowMs, long? beforeMs, long? afterMs, out TimestampOutcome expected, out string what)
    {
        int count = random.Next(1, 6);
        long[] timestamps = new long[count];
        for (int i = 0; i < count; i++)
            timestamps[i] = Timestamp(random, nowMs, beforeMs, afterMs);
        CompressionType codec = s_codecs[random.Next(s_codecs.Length)];
        bool logAppendTime = random.Next(8) == 0;
        using var builder = new RecordBatchBuilder(codec) { TimestampType = logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime };
        foreach (long timestamp in timestamps)
            builder.Append(timestamp, [1], [2]);
        byte[] batch = builder.Build().Memory.ToArray();

        var lies = new List<string>();
        if (random.Next(6) == 0)
            Lie(batch, RecordBatch.BaseTimestampOffset, random, nowMs, lies, "baseTimestamp");
        if (random.Next(6) == 0)
            Lie(batch, RecordBatch.MaxTimestampOffset, random, nowMs, lies, "maxTimestamp");
        BatchMutations.FixCrc(batch);

        // What the records will read: the header's base plus each record's delta from the builder's base (the first).
        long baseTimestamp = BinaryPrimitives.ReadInt64BigEndian(batch.AsSpan(RecordBatch.BaseTimestampOffset));
        long maxTimestamp = BinaryPrimitives.ReadInt64BigEndian(batch.AsSpan(RecordBatch.MaxTimestampOffset));
        long[] read = timestamps.Select(t => unchecked(baseTimestamp + (t - timestamps[0]))).ToArray();
        expected = Expected(read, maxTimestamp, logAppendTime, nowMs, beforeMs, afterMs);
        what = $"{count} {codec} records at [{string.Join(", ", read)}], maxTimestamp {maxTimestamp}"
            + (logAppendTime ? ", LogAppendTime" : "") + (lies.Count > 0 ? ", lying " + string.Join(" and ", lies) : "")
            + $", now {nowMs}, before.max {beforeMs?.ToString() ?? "none"}, after.max {afterMs?.ToString() ?? "none"}";
        return batch;
    }

    private static TimestampOutcome Expected(long[] read, long maxTimestamp, bool logAppendTime, long nowMs, long? beforeMs, long? afterMs)
    {
        if (logAppendTime)
            return TimestampOutcome.Appended;
        if (read.Max() != maxTimestamp)
            return TimestampOutcome.Corrupt;
        foreach (long t in read)
        {
            if (t < 0 || (afterMs is long after && t > nowMs + after) || (beforeMs is long before && t < nowMs - before))
                return TimestampOutcome.InvalidTimestamp;
        }
        return TimestampOutcome.Appended;
    }

    private static long Timestamp(Random random, long nowMs, long? beforeMs, long? afterMs) => random.Next(5) switch
    {
        0 => s_edges[random.Next(s_edges.Length)],
        1 => nowMs + (afterMs ?? 3_600_000) + random.Next(-1, 2),
        2 => nowMs - (beforeMs ?? 3_600_000) + random.Next(-1, 2),
        3 => nowMs + random.Next(-60_000, 60_000),
        _ => random.NextInt64(long.MinValue, long.MaxValue),
    };

    private static void Lie(byte[] batch, int at, Random random, long nowMs, List<string> lies, string field)
    {
        long truth = BinaryPrimitives.ReadInt64BigEndian(batch.AsSpan(at));
        long lie = random.Next(3) switch
        {
            0 => s_edges[random.Next(s_edges.Length)],
            1 => unchecked(truth + random.Next(-2, 3)),
            _ => nowMs,
        };
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(at), lie);
        if (lie != truth)
            lies.Add(field);
    }
}
