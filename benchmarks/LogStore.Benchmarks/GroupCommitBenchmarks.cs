using BenchmarkDotNet.Attributes;

namespace LogStore.Benchmarks;

/// <summary>
/// Durable appends that each wait for an fsync of their record (a producer with acks=all and a flush policy): one
/// appender doing append-then-fsync per record (the baseline: one fsync per record) against 64 concurrent appenders
/// waiting through group commit (<c>PartitionLog.FlushAsync</c>), where waiters share fsyncs. Records/s is the figure.
/// </summary>
/// <remarks>Each operation appends <see cref="RecordsPerOperation"/> single-record batches of 100 bytes to one partition
/// on the real disk (/tmp), opened once per benchmark.</remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class GroupCommitBenchmarks
{
    public const int RecordsPerOperation = 1024;
    public const int Appenders = 64;

    private string? _directory;
    private Broker? _broker;
    private Partition _partition = null!;
    private byte[] _batch = null!;

    public static WorkPerOperation DescribeWork(string method, int recordSize) =>
        new(RecordsPerOperation, (long)RecordsPerOperation * Workload.Build(Workload.Value(100), 1).Length, RecordsPerOperation);

    [GlobalSetup]
    public void GlobalSetup()
    {
        _batch = Workload.Build(Workload.Value(100), 1);
        _directory = Workload.NewTempDirectory("group-commit");
        _broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory }).AsTask().GetAwaiter().GetResult();
        _partition = _broker.CreateTopicAsync("durable").AsTask().GetAwaiter().GetResult().Partitions[0];
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Workload.DeleteDirectory(_directory);
    }

    /// <summary>One appender: append a record, fsync it, next.</summary>
    [Benchmark(Baseline = true)]
    public async Task OneFsyncPerRecord()
    {
        byte[] batch = new byte[_batch.Length];
        for (int i = 0; i < RecordsPerOperation; i++)
        {
            _batch.CopyTo(batch, 0);
            AppendResult appended = await _partition.AppendAsync(RecordBatch.Parse(batch));
            await _partition.Log.FlushAsync(appended.LastOffset + 1);
        }
    }

    /// <summary>64 appenders, each appending its share and waiting for its record's fsync before the next.</summary>
    [Benchmark]
    public Task GroupCommit64Appenders()
    {
        var appenders = new Task[Appenders];
        for (int a = 0; a < Appenders; a++)
            appenders[a] = Task.Run(AppendDurably);
        return Task.WhenAll(appenders);
    }

    private async Task AppendDurably()
    {
        byte[] batch = (byte[])_batch.Clone();
        for (int i = 0; i < RecordsPerOperation / Appenders; i++)
        {
            AppendResult appended = await _partition.AppendAsync(RecordBatch.Parse(batch));
            await _partition.Log.FlushAsync(appended.LastOffset + 1);
        }
    }
}
