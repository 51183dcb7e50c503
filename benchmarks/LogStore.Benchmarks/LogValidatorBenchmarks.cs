using BenchmarkDotNet.Attributes;
using LogStore.Storage;

namespace LogStore.Benchmarks;

/// <summary>
/// What the timestamp checks of an append cost per 16 KiB batch, beside the CRC check a batch from elsewhere already
/// pays (the baseline): a batch from elsewhere has its records read (<see cref="TimestampsOfABatchFromElsewhere"/>),
/// a producer's batch only its header (<see cref="TimestampsOfAProducersBatch"/>). Both with the default bounds
/// (after.max one hour, whose clock reading is usually skipped).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class LogValidatorBenchmarks
{
    private static readonly TopicPartition Id = new("t", 0);
    private readonly TopicConfig _config = new();
    private PrebuiltBatch _batch = null!;
    private long _clockFloorMs = long.MinValue;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        PrebuiltBatch batch = Workload.BuildBatch(recordSize);
        return new WorkPerOperation(batch.Records, batch.Bytes.Length, 1);
    }

    [GlobalSetup]
    public void GlobalSetup() => _batch = Workload.BuildBatch(RecordSize);

    [Benchmark(Baseline = true)]
    public bool Crc() => _batch.Parse().IsValid;

    [Benchmark]
    public LogStoreException? TimestampsOfABatchFromElsewhere()
    {
        var clock = new AppendClock(TimeProvider.System);
        return LogValidator.ValidateTimestamps(_batch.Parse(), null, Id, _config, ref clock, ref _clockFloorMs);
    }

    [Benchmark]
    public LogStoreException? TimestampsOfAProducersBatch()
    {
        var clock = new AppendClock(TimeProvider.System);
        RecordBatch batch = _batch.Parse();
        return LogValidator.ValidateTimestamps(batch, batch.BaseTimestamp, Id, _config, ref clock, ref _clockFloorMs);
    }
}
