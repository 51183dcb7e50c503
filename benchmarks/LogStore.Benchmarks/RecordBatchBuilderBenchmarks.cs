using BenchmarkDotNet.Attributes;

namespace LogStore.Benchmarks;

/// <summary>
/// RecordBatchBuilder on its own: one 16 KiB batch per operation (Reset, one Append per record, Build with its
/// header and CRC32C), reusing the builder as a producer does. Records/s and MB/s come from the Mean
/// (<see cref="ThroughputConfig"/>); the allocation should be 0 B.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class RecordBatchBuilderBenchmarks
{
    private RecordBatchBuilder _builder = null!;
    private byte[] _value = [];
    private byte[] _key = [];
    private Header[] _headers = [];
    private int _records;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        PrebuiltBatch batch = Workload.BuildBatch(recordSize);
        return new WorkPerOperation(batch.Records, batch.Bytes.Length, 1);
    }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _builder = new RecordBatchBuilder(CompressionType.None, Workload.BatchBytes);
        _value = Workload.Value(RecordSize);
        _key = "user-0042"u8.ToArray();
        _headers = [new Header("trace-id", "0af7651916cd43dd8448eb211c80319c"u8.ToArray())];
        _records = Workload.BuildBatch(RecordSize).Records;
    }

    /// <summary>The batch the append benchmark appends: null keys, no headers.</summary>
    [Benchmark(Baseline = true)]
    public int BuildBatch()
    {
        RecordBatchBuilder builder = _builder;
        builder.Reset();
        ReadOnlySpan<byte> value = _value;
        for (int i = 0; i < _records; i++)
            builder.Append(Workload.Timestamp + i, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
        return builder.Build().SizeInBytes;
    }

    /// <summary>The same count of records with a 9-byte key and one header (the batch is then a little larger than 16 KiB).</summary>
    [Benchmark]
    public int BuildBatchWithKeyAndHeader()
    {
        RecordBatchBuilder builder = _builder;
        builder.Reset();
        ReadOnlySpan<byte> value = _value;
        ReadOnlySpan<byte> key = _key;
        for (int i = 0; i < _records; i++)
            builder.Append(Workload.Timestamp + i, key, value, _headers);
        return builder.Build().SizeInBytes;
    }

    [GlobalCleanup]
    public void GlobalCleanup() => _builder.Dispose();
}
