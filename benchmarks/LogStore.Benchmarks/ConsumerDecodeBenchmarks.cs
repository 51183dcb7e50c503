using LogStore.BenchmarkShared;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace LogStore.Benchmarks;

/// <summary>
/// The consumer's cost of turning stored batches into records, on 1 M records of 100 bytes (or 200,000 of 1 KiB)
/// in one partition, read from the OS page cache: an <see cref="IConsumer{TKey, TValue}"/> handing out a
/// <see cref="ConsumeResult{TKey, TValue}"/> with a <see cref="Message{TKey, TValue}"/> and a fresh byte[] value per
/// record (<see cref="ConsumeAsMessages"/>), against reading the same fetches and decoding them as spans over the fetch
/// buffer (<see cref="DecodeAsSpans"/>, the baseline: no copy, no allocation per record), and
/// <see cref="ConsumeAllAsync"/> (the IAsyncEnumerable form of the consumer). Alloc/batch is bytes per record here.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ConsumerDecodeBenchmarks
{
    private const string TopicName = "decode";

    private string? _directory;
    private Broker? _broker;
    private Partition _partition = null!;
    private long _records;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    public static long RecordsFor(int recordSize) => recordSize <= 100 ? 1_000_000 : 200_000;

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        long records = RecordsFor(recordSize);
        return new WorkPerOperation(records, records * recordSize, records);
    }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _records = RecordsFor(RecordSize);
        _directory = Workload.NewTempDirectory("consumer-decode");
        _broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory }).AsTask().GetAwaiter().GetResult();
        _partition = _broker.CreateTopicAsync(TopicName, new TopicConfig { RetentionTime = null }).AsTask().GetAwaiter().GetResult().Partitions[0];
        PrebuiltBatch batch = Workload.BuildBatch(RecordSize);
        RecordBatch parsed = batch.Parse();
        long batches = (_records + batch.Records - 1) / batch.Records;
        for (long i = 0; i < batches; i++)
            _partition.AppendAsync(parsed).AsTask().GetAwaiter().GetResult();
        _records = batches * batch.Records;
        Check(DecodeAsSpans().GetAwaiter().GetResult());
        Check(ConsumeAsMessages().GetAwaiter().GetResult());
    }

    private void Check(long valueBytes)
    {
        if (valueBytes != _records * RecordSize)
            throw new InvalidOperationException($"Read {valueBytes} bytes of values, expected {_records * RecordSize}.");
    }

    /// <summary>ReadAsync of 1 MiB fetches (the consumer's max.partition.fetch.bytes), every record decoded as spans.</summary>
    [Benchmark(Baseline = true)]
    public Task<long> DecodeAsSpans() => SpanReads.ReadAllAsync(_partition).AsTask();

    /// <summary>A consumer assigned the partition from offset 0, ConsumeAsync per record until all are seen.</summary>
    [Benchmark]
    public async Task<long> ConsumeAsMessages()
    {
        await using IConsumer<Null, byte[]> consumer = _broker!.CreateConsumer<Null, byte[]>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(_partition.Id, 0)]);
        long valueBytes = 0;
        for (long seen = 0; seen < _records; seen++)
        {
            ConsumeResult<Null, byte[]> result = await consumer.ConsumeAsync(TimeSpan.FromSeconds(10))
                ?? throw new InvalidOperationException($"No record after {seen} of {_records}.");
            valueBytes += result.Message.Value.Length;
        }
        return valueBytes;
    }

    /// <summary>The same through <c>ConsumeAllAsync</c> (await foreach).</summary>
    [Benchmark]
    public async Task<long> ConsumeAllAsync()
    {
        await using IConsumer<Null, byte[]> consumer = _broker!.CreateConsumer<Null, byte[]>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(_partition.Id, 0)]);
        long valueBytes = 0;
        long seen = 0;
        using var stop = new CancellationTokenSource();
        await foreach (ConsumeResult<Null, byte[]> result in consumer.ConsumeAllAsync(stop.Token))
        {
            valueBytes += result.Message.Value.Length;
            if (++seen == _records)
                break;
        }
        return valueBytes;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker = null;
        Workload.DeleteDirectory(_directory);
    }
}
