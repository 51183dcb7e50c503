using BenchmarkDotNet.Attributes;
using LogStore.Retention;

namespace LogStore.Benchmarks;

/// <summary>
/// Log compaction of a 1 GiB partition holding 100,000 distinct keys (each written about ten times, in a seeded random
/// order) by <see cref="LogCleaner"/>: one operation maps the dirty section, rewrites every inactive segment and swaps
/// the cleaned segments in. MB/s counts the bytes of the partition before cleaning.
/// </summary>
/// <remarks>
/// The partition is built once (8 segments of 8,746 batches of 15 records of a 10-byte key and a 1,000-byte value:
/// 1,073,728,928 bytes, 1,049,520 records, plus one batch in the active segment, which is never cleaned) and copied into a fresh directory before each iteration, outside the measured region, so every operation
/// cleans the same dirty log.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class CompactionBenchmarks
{
    public const int Keys = 100_000;
    public const int BatchesPerSegment = 8_746;
    public const int Segments = 8;
    public const int Batches = BatchesPerSegment * Segments;
    public const int RecordsPerBatch = 15;
    public const int ValueSize = 1000;

    private string _pristine = null!;
    private string? _work;
    private Broker? _broker;
    private Partition _partition = null!;

    public static WorkPerOperation DescribeWork(string method, int recordSize) =>
        new((long)Batches * RecordsPerBatch, (long)Batches * BuildBatch(new Random(0), new byte[ValueSize]).Length, Batches);

    [GlobalSetup]
    public void GlobalSetup()
    {
        _pristine = Workload.NewTempDirectory("compaction-src");
        Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _pristine }).AsTask().GetAwaiter().GetResult();
        var random = new Random(42);
        byte[] value = Workload.Value(ValueSize);
        int batchBytes = BuildBatch(new Random(0), value).Length;
        // Segments of exactly BatchesPerSegment batches: the batch after the last one rolls, so the whole 1 GiB is
        // inactive (cleanable) and the active segment holds that one batch.
        Partition partition = broker.CreateTopicAsync("compacted", new TopicConfig
        {
            CleanupPolicy = CleanupPolicy.Compact,
            SegmentBytes = (long)BatchesPerSegment * batchBytes,
            RetentionTime = null,
        }).AsTask().GetAwaiter().GetResult().Partitions[0];
        for (int i = 0; i <= Batches; i++)
            partition.AppendAsync(RecordBatch.Parse(BuildBatch(random, value))).AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"// {partition.Segments.Count} segments, {partition.Segments.Sum(s => s.SizeInBytes):N0} bytes, {partition.LogEndOffset:N0} records");
        broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void GlobalCleanup() => Workload.DeleteDirectory(_pristine);

    [IterationSetup]
    public void IterationSetup()
    {
        _work = Workload.NewTempDirectory("compaction");
        foreach (string dir in Directory.EnumerateDirectories(_pristine, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(_pristine, _work, StringComparison.Ordinal));
        foreach (string file in Directory.EnumerateFiles(_pristine, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) != ".lock")
                File.Copy(file, file.Replace(_pristine, _work, StringComparison.Ordinal));
        }
        _broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _work }).AsTask().GetAwaiter().GetResult();
        _partition = _broker.Topics.Single().Partitions[0];
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker = null;
        Workload.DeleteDirectory(_work);
    }

    /// <summary>One full compaction: map, rewrite, swap.</summary>
    [Benchmark]
    public long Compact()
    {
        CleanResult result = _broker!.Retention.Cleaner.Clean(_partition.Log);
        if (result.Outcome != Storage.SwapOutcome.Swapped)
            throw new InvalidOperationException($"The cleaner did not swap: {result}");
        return result.BytesAfter;
    }

    private static byte[] BuildBatch(Random random, byte[] value)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None, Workload.BatchBytes);
        Span<byte> key = stackalloc byte[10];
        for (int i = 0; i < RecordsPerBatch; i++)
        {
            int k = random.Next(Keys);
            "key-"u8.CopyTo(key);
            for (int d = 9; d >= 4; d--, k /= 10)
                key[d] = (byte)('0' + (k % 10));
            builder.Append(Workload.Timestamp, key, value);
        }
        return builder.Build().Memory.ToArray();
    }
}
