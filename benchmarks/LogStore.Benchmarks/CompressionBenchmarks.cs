using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore.Benchmarks;

/// <summary>
/// Batch compression as the producer and the reader do it: one 16 KiB records block (what
/// <see cref="RecordBatchBuilder.Build"/> compresses: the encoded records of a batch) of JSON-like application log
/// lines, compressed and decompressed with each of Kafka's codecs through LogStore's codec layer
/// (<see cref="CompressionCodecs"/>, pooled output buffers). MB/s is uncompressed bytes per second; the
/// <c>Compressed</c> column is the compressed size over the raw size (lower is better).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CompressionConfig))]
public class CompressionBenchmarks
{
    private byte[] _block = [];
    private byte[] _compressed = [];
    private PooledBufferWriter _output = null!;

    [Params(CompressionType.Gzip, CompressionType.Zstd, CompressionType.Lz4, CompressionType.Snappy)]
    public CompressionType Codec { get; set; }

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        byte[] block = RecordsBlock(out int records);
        return new WorkPerOperation(records, block.Length, 1);
    }

    /// <summary>The encoded records of one batch of at most 16 KiB of log lines (deterministic).</summary>
    public static byte[] RecordsBlock(out int records)
    {
        var random = new Random(42);
        string[] levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
        string[] services = ["checkout", "payments", "inventory", "search", "auth"];
        var lines = new List<byte[]>();
        using var builder = new RecordBatchBuilder(CompressionType.None, Workload.BatchBytes);
        while (builder.EstimatedSizeInBytes <= Workload.BatchBytes)
        {
            string line = string.Create(CultureInfo.InvariantCulture,
                $$"""{"ts":"2025-11-0{{random.Next(1, 9)}}T12:{{random.Next(10, 60)}}:{{random.Next(10, 60)}}.{{random.Next(100, 1000)}}Z","level":"{{levels[random.Next(levels.Length)]}}","service":"{{services[random.Next(services.Length)]}}","trace_id":"{{random.NextInt64():x16}}","user_id":{{random.Next(1, 100_000)}},"latency_ms":{{random.Next(1, 2000)}},"msg":"request completed","path":"/api/v1/orders/{{random.Next(1, 1_000_000)}}"}""");
            lines.Add(Encoding.UTF8.GetBytes(line));
            builder.Append(Workload.Timestamp + lines.Count, ReadOnlySpan<byte>.Empty, lines[^1], null, keyIsNull: true);
        }
        // The last line made the batch too large: build it again without it, and keep only the records block.
        builder.Reset();
        records = lines.Count - 1;
        for (int i = 0; i < records; i++)
            builder.Append(Workload.Timestamp + i + 1, ReadOnlySpan<byte>.Empty, lines[i], null, keyIsNull: true);
        return builder.Build().Memory.ToArray()[RecordBatch.HeaderSize..];
    }

    public static int CompressedSize(CompressionType codec)
    {
        byte[] block = RecordsBlock(out _);
        using var output = new PooledBufferWriter(block.Length);
        CompressionCodecs.Compress(codec, block, output);
        return output.WrittenCount;
    }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _block = RecordsBlock(out _);
        _output = new PooledBufferWriter(_block.Length * 2);
        CompressionCodecs.Compress(Codec, _block, _output);
        _compressed = _output.WrittenSpan.ToArray();
        using PooledBufferWriter check = CompressionCodecs.Decompress(Codec, _compressed, 1 << 20);
        if (!check.WrittenSpan.SequenceEqual(_block))
            throw new InvalidOperationException($"{Codec} did not round-trip.");
    }

    [Benchmark(Baseline = true)]
    public int Compress()
    {
        _output.Clear();
        CompressionCodecs.Compress(Codec, _block, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Decompress()
    {
        using PooledBufferWriter output = CompressionCodecs.Decompress(Codec, _compressed, 1 << 20);
        return output.WrittenCount;
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _output.Dispose();
}

/// <summary><see cref="ThroughputConfig"/> plus the compressed/raw size column.</summary>
public sealed class CompressionConfig : ManualConfig
{
    public CompressionConfig()
    {
        Add(new ThroughputConfig());
        AddColumn(new CompressedSizeColumn());
    }
}

/// <summary>Compressed size over raw size of the benchmark's records block, for the case's codec.</summary>
public sealed class CompressedSizeColumn : IColumn
{
    public string Id => "LogStore.CompressedSize";

    public string ColumnName => "Compressed";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 10;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Compressed size / raw size of the 16 KiB records block (lower is better)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            if (parameter.Value is CompressionType codec)
            {
                int raw = CompressionBenchmarks.RecordsBlock(out _).Length;
                return (CompressionBenchmarks.CompressedSize(codec) / (double)raw).ToString("P1", CultureInfo.InvariantCulture);
            }
        }
        return "-";
    }

    public override string ToString() => ColumnName;
}
