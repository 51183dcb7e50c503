namespace LogStore.Compare;

/// <summary>
/// What every system writes: records of one value each (no key), pseudo-random bytes with a fixed seed so that no
/// system gains from compression. LogStore groups them in Kafka batches of at most 16 KiB (batch.size); the
/// others take them one by one (FasterLog's Enqueue, one SQLite row) or, for the raw file, in 1 MiB writes.
/// </summary>
internal static class Payload
{
    /// <summary>LogStore's batch size on the partition path: Kafka's default batch.size (16 KiB) unless
    /// --batch-bytes says otherwise (an experiment: how much of the append cost is per write(2)).</summary>
    public static int BatchBytes { get; set; } = 16 * 1024;

    /// <summary>The durability cadence of workload 4 and the raw file's write size.</summary>
    public const int MiB = 1 << 20;

    public static byte[] Value(int size)
    {
        var value = new byte[size];
        new Random(42).NextBytes(value);
        return value;
    }

    /// <summary>How many <paramref name="size"/>-byte records fill one batch of <see cref="BatchBytes"/> (measured with the real builder).</summary>
    public static int RecordsPerBatch(int size)
    {
        byte[] value = Value(size);
        using var builder = new RecordBatchBuilder(CompressionType.None, BatchBytes);
        int count = 0;
        while (true)
        {
            builder.Append(0, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
            if (builder.EstimatedSizeInBytes > BatchBytes)
                return Math.Max(1, count);
            count++;
        }
    }

    /// <summary>Records whose payload makes up 1 MiB (at least one): the fsync cadence of workload 4 in records.</summary>
    public static long RecordsPerMiB(int size) => Math.Max(1, MiB / size);

    /// <summary>A buffer of whole records' values, about 1 MiB: what the raw file writes per write(2).</summary>
    public static byte[] Chunk(int size)
    {
        byte[] value = Value(size);
        int records = (int)RecordsPerMiB(size);
        var chunk = new byte[records * size];
        for (int i = 0; i < records; i++)
            value.CopyTo(chunk, i * size);
        return chunk;
    }
}
