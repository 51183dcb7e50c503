using BenchmarkDotNet.Attributes;

namespace LogStore.Benchmarks;

/// <summary>
/// Broker.OpenAsync of a data directory whose one topic has 2,000 segments, after a clean shutdown (so nothing is
/// recovered: the open lists the directory, opens each segment lazily and scans the active one's tail). The
/// directory is made once in the global setup: a topic whose SegmentBytes equals one small batch rolls at every
/// append. Each iteration disposes the broker it opened (outside the measured region), which writes the clean
/// shutdown marker again; the files stay in the page cache (a warm open, as after a restart of the process).
/// </summary>
[MemoryDiagnoser]
public class OpenBenchmarks
{
    private string? _directory;
    private Broker? _broker;

    [Params(2_000)]
    public int Segments { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _directory = Workload.NewTempDirectory("open");
        byte[] batchBytes = Workload.Build(Workload.Value(100), count: 10);
        var config = new TopicConfig { SegmentBytes = batchBytes.Length, RetentionTime = null };
        Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory }).AsTask().GetAwaiter().GetResult();
        try
        {
            Partition partition = broker.CreateTopicAsync("bench", config).AsTask().GetAwaiter().GetResult().Partitions[0];
            RecordBatch batch = RecordBatch.Parse(batchBytes);
            for (int i = 0; i < Segments; i++)
                partition.AppendAsync(batch).AsTask().GetAwaiter().GetResult();
            if (partition.Segments.Count != Segments)
                throw new InvalidOperationException($"Expected {Segments} segments, found {partition.Segments.Count}.");
        }
        finally
        {
            broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        // Check the reopened partition once (and warm the page cache with the directory's metadata).
        OpenBroker().AsTask().GetAwaiter().GetResult();
        int found = _broker!.Topics.Single().Partitions[0].Segments.Count;
        CloseBroker();
        if (found != Segments)
            throw new InvalidOperationException($"Reopened {found} segments, expected {Segments}.");
    }

    [Benchmark]
    public async ValueTask OpenBroker() => _broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory! });

    /// <summary>Declared so that BenchmarkDotNet runs one open per iteration (an open cannot be repeated without a close).</summary>
    [IterationSetup]
    public void EnsureClosed() => CloseBroker();

    [IterationCleanup]
    public void CloseBroker()
    {
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker = null;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        CloseBroker();
        Workload.DeleteDirectory(_directory);
    }
}
