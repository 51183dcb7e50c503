using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using LogStore.Storage.Producers;

namespace LogStore.Benchmarks;

/// <summary>
/// What an idempotent producer's batch costs the partition on top of its append (<see cref="ProducerStateManager"/>):
/// the check of its epoch and sequence against the producer's last five batches, then recording it — once per 16 KiB
/// batch, nothing per record. Beside the CRC of the same batch (the baseline), which a batch from elsewhere pays anyway,
/// to put the figure in proportion. A thousand producers are known, so the lookup is not into an empty table. The
/// Alloc/batch column must stay 0.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ProducerStateBenchmarks
{
    private static readonly TopicPartition Id = new("t", 0);
    private ProducerStateManager _state = null!;
    private PrebuiltBatch _batch = null!;
    private int _sequence;
    private long _offset;

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
        _state = new ProducerStateManager();
        for (long producerId = 1; producerId <= 1000; producerId++)
            _state.Restore(new ProducerSnapshotEntry(producerId, 0, 99, producerId * 100, 99, 0));
        // The producer measured: id 500, epoch 0, known with no batch yet, so its sequences start at 0.
        PrebuiltBatch plain = Workload.BuildBatch(RecordSize);
        byte[] bytes = plain.Bytes.ToArray();
        RecordBatch.SetProducerState(bytes, 500, 0, 0);
        _batch = plain with { Bytes = bytes };
        _state.Restore(new ProducerSnapshotEntry(500, 0, -1, -1, 0, -1));
        _state.MarkLoaded();
    }

    [Benchmark(Baseline = true)]
    public bool Crc() => _batch.Parse().IsValid;

    [Benchmark]
    public LogStoreException? CheckAndRecord()
    {
        // The next sequence, written where the header keeps it (the CRC is not what is measured here).
        BinaryPrimitives.WriteInt32BigEndian(_batch.Bytes.AsSpan(RecordBatch.BaseSequenceOffset), _sequence);
        RecordBatch batch = _batch.Parse();
        LogStoreException? refused = _state.Check(Id, batch, out bool duplicate, out _, out _);
        if (refused is null && !duplicate)
            _state.OnAppended(batch, _offset);
        _sequence = RecordBatch.IncrementSequence(_sequence, _batch.Records);
        _offset += _batch.Records;
        return refused;
    }
}
