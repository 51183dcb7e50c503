using LogStore.BenchmarkShared;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace LogStore.Benchmarks;

/// <summary>
/// Issue 3's end-to-end check. Produce: one thread calls <c>producer.Produce(topic, message)</c> (null key, no
/// compression, no callback, one reused <see cref="Message{TKey, TValue}"/>) for every record, then
/// <c>producer.FlushAsync()</c> and <c>broker.FlushAsync()</c> (durable), against FasterLog enqueueing the same values
/// one by one then committing once (the baseline of the Produce category). Consume: an
/// <see cref="IConsumer{TKey, TValue}"/> assigned the partition from offset 0 reads every record back as a
/// <see cref="Message{TKey, TValue}"/> (ConsumeAsync until all are seen), against FasterLog's allocation-free scan of the
/// same values (the baseline of the Consume category, as in <see cref="ReadBenchmarks"/>), its copying GetNext, and
/// the <c>await foreach</c> form its documentation shows.
/// </summary>
/// <remarks>
/// 5 M records of 100 bytes, 1 M records of 1 KiB, as the issue asks. Every produce operation starts from an empty
/// directory on the real disk (/tmp) and deletes it afterwards; the consume cases read data written once in the global
/// setup (in the page cache by the first measured read). The producer cases keep one broker and one producer for the
/// whole run, as an application would, so that the producer's buffer pool (32 MiB, allocated the first time the
/// producer runs that far ahead of the disk) is warm; each operation produces into a topic created empty just before
/// it and deleted after it. The Alloc/batch column is, for this class, the allocation per
/// record (<see cref="DescribeWork"/> declares one unit per record).
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[MinWarmupCount(2)]
[MaxWarmupCount(5)]
[MinIterationCount(5)]
[MaxIterationCount(12)]
public class EndToEndBenchmarks
{
    private const string TopicName = "bench";

    private byte[] _value = [];
    private long _records;
    private string? _directory;
    private Broker? _broker;
    private IProducer<Null, byte[]>? _producer;
    private Message<Null, byte[]> _message = null!;
    private FasterLogHarness? _faster;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    /// <summary>The record counts: 5 M of 100 bytes, 1 M of 1 KiB.</summary>
    public static long RecordsFor(int recordSize) => recordSize <= 100 ? 5_000_000 : 1_000_000;

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        long records = RecordsFor(recordSize);
        return new WorkPerOperation(records, records * recordSize, records);
    }

    private void Prepare()
    {
        _value = Workload.Value(RecordSize);
        _records = RecordsFor(RecordSize);
        _message = new Message<Null, byte[]> { Value = _value };
    }

    private void OpenBroker(string name)
    {
        _directory = Workload.NewTempDirectory(name);
        _broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory }).AsTask().GetAwaiter().GetResult();
    }

    private void CloseBroker()
    {
        _producer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _producer = null;
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker = null;
        Workload.DeleteDirectory(_directory);
        _directory = null;
    }

    [GlobalSetup]
    public void GlobalSetup()
    {
        Prepare();
        Console.WriteLine($"// {RecordSize}-byte records: {_records:N0} per operation");
    }

    /// <summary>One broker and one producer for the whole run, as an application keeps them: allocation is amortised.</summary>
    [GlobalSetup(Target = nameof(LogStoreProduce))]
    public void SetupProducer()
    {
        GlobalSetup();
        OpenBroker("e2e-produce");
        _producer = _broker!.CreateProducer<Null, byte[]>();
    }

    /// <summary>Every operation writes into an empty topic, deleted (its files removed) afterwards.</summary>
    [IterationSetup(Target = nameof(LogStoreProduce))]
    public void SetupProduce() => _broker!.CreateTopicAsync(TopicName).AsTask().GetAwaiter().GetResult();

    [IterationCleanup(Target = nameof(LogStoreProduce))]
    public void CleanupProduce() => _broker!.DeleteTopicAsync(TopicName).AsTask().GetAwaiter().GetResult();

    /// <summary>Produce every record from one thread (no callback), flush the producer, then fsync the broker.</summary>
    [Benchmark]
    [BenchmarkCategory("Produce")]
    public async Task LogStoreProduce()
    {
        IProducer<Null, byte[]> producer = _producer!;
        Message<Null, byte[]> message = _message;
        for (long i = _records; i > 0; i--)
            producer.Produce(TopicName, message);
        await producer.FlushAsync();
        await _broker!.FlushAsync();
    }

    [IterationSetup(Target = nameof(FasterLogEnqueue))]
    public void SetupFasterLog() => _faster = FasterLogHarness.Create(Workload.NewTempDirectory("e2e-fl"));

    [IterationCleanup(Target = nameof(FasterLogEnqueue))]
    public void CleanupFasterLog()
    {
        _faster?.Dispose();
        _faster = null;
    }

    /// <summary>The same values, one Enqueue(span) each, then one commit (which waits for the flush).</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Produce")]
    public async Task FasterLogEnqueue()
    {
        FASTER.core.FasterLog log = _faster!.Log;
        byte[] value = _value;
        for (long i = _records; i > 0; i--)
            log.Enqueue(value.AsSpan());
        await log.CommitAsync();
    }

    [GlobalSetup(Targets = [nameof(LogStoreConsume), nameof(LogStoreConsumeMemory)])]
    public void SetupConsume()
    {
        Prepare();
        OpenBroker("e2e-consume");
        _broker!.CreateTopicAsync(TopicName).AsTask().GetAwaiter().GetResult();
        IProducer<Null, byte[]> producer = _broker!.CreateProducer<Null, byte[]>();
        for (long i = _records; i > 0; i--)
            producer.Produce(TopicName, _message);
        producer.FlushAsync().AsTask().GetAwaiter().GetResult();
        producer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker.FlushAsync().AsTask().GetAwaiter().GetResult();
        Check(LogStoreConsume().GetAwaiter().GetResult());
        Check(LogStoreConsumeMemory().GetAwaiter().GetResult());
    }

    /// <summary>Every record read back as a Message by a consumer assigned the partition from offset 0.</summary>
    [Benchmark]
    [BenchmarkCategory("Consume")]
    public async Task<long> LogStoreConsume()
    {
        await using IConsumer<Null, byte[]> consumer = _broker!.CreateConsumer<Null, byte[]>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(new TopicPartition(TopicName, 0), 0)]);
        long seen = 0;
        long valueBytes = 0;
        while (seen < _records)
        {
            ConsumeResult<Null, byte[]>? result = await consumer.ConsumeAsync(TimeSpan.FromSeconds(10));
            if (result is null)
                throw new InvalidOperationException($"No record after {seen} of {_records}.");
            valueBytes += result.Message.Value.Length;
            seen++;
        }
        return valueBytes;
    }

    /// <summary>
    /// The same, with <see cref="Deserializers.ReadOnlyMemory"/> values: each Message's value is a view of the fetched
    /// bytes (as Kafka's ByteBufferDeserializer), so no byte is copied per record.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("Consume")]
    public async Task<long> LogStoreConsumeMemory()
    {
        await using IConsumer<Null, ReadOnlyMemory<byte>> consumer = _broker!.CreateConsumer(new ConsumerOptions(), Deserializers.Null, Deserializers.ReadOnlyMemory);
        consumer.Assign([new TopicPartitionOffset(new TopicPartition(TopicName, 0), 0)]);
        long seen = 0;
        long valueBytes = 0;
        while (seen < _records)
        {
            ConsumeResult<Null, ReadOnlyMemory<byte>>? result = await consumer.ConsumeAsync(TimeSpan.FromSeconds(10));
            if (result is null)
                throw new InvalidOperationException($"No record after {seen} of {_records}.");
            valueBytes += result.Message.Value.Length;
            seen++;
        }
        return valueBytes;
    }

    [GlobalSetup(Targets = [nameof(FasterLogScan), nameof(FasterLogScanCopying), nameof(FasterLogScanAsync)])]
    public void SetupScan()
    {
        Prepare();
        _faster = FasterLogHarness.Create(Workload.NewTempDirectory("e2e-scan"));
        for (long i = _records; i > 0; i--)
            _faster.Log.Enqueue(_value.AsSpan());
        _faster.Log.CommitAsync().AsTask().GetAwaiter().GetResult();
        Check(FasterLogScan());
        Check(FasterLogScanAsync().GetAwaiter().GetResult());
    }

    /// <summary>FasterLog's scan of every entry: UnsafeGetNext hands out a pointer into its page frame, no copy.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Consume")]
    public long FasterLogScan() => _faster!.ScanAll();

    /// <summary>FasterLog's scan with GetNext, which returns each entry as a new byte[]: the like-for-like baseline for
    /// a consumer that returns byte[] values.</summary>
    [Benchmark]
    [BenchmarkCategory("Consume")]
    public long FasterLogScanCopying() => _faster!.ScanAllCopying();

    /// <summary>FasterLog's scan as its documentation shows it: <c>await foreach</c> over <c>GetAsyncEnumerable()</c>,
    /// a byte[] per entry.</summary>
    [Benchmark]
    [BenchmarkCategory("Consume")]
    public Task<long> FasterLogScanAsync() => _faster!.ScanAllAsync();

    private void Check(long valueBytes)
    {
        if (valueBytes != _records * RecordSize)
            throw new InvalidOperationException($"Read {valueBytes} bytes of values, expected {_records * RecordSize}.");
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        CloseBroker();
        CleanupFasterLog();
    }
}
