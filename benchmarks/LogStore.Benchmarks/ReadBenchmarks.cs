using LogStore.BenchmarkShared;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace LogStore.Benchmarks;

/// <summary>
/// Reading a whole partition of about 10 M 100-byte records (about 1.08 GB) from the OS page cache, decoding every
/// record as spans (key and value lengths summed), against FasterLog's allocation-free scan (UnsafeGetNext /
/// UnsafeRelease) over the same records (the baseline of the Ratio column), and a raw FileStream read of the
/// segment files (the page-cache copy ceiling; no decoding, no checks). The data is written and read once in the
/// global setup, so it is in the page cache before the first measured read; both logs read through it (see
/// <see cref="FasterLogHarness"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ReadBenchmarks
{
    /// <summary>Kafka's max.partition.fetch.bytes: what one ReadAsync asks for.</summary>
    public const int FetchMaxBytes = 1 << 20;

    public const long TargetRecords = 10_000_000;

    private PrebuiltBatch _batch = null!;
    private long _records;
    private string? _directory;
    private Broker? _broker;
    private Partition _partition = null!;
    private string[] _segmentFiles = [];
    private FasterLogHarness? _faster;
    private byte[] _readBuffer = [];

    [Params(100)]
    public int RecordSize { get; set; }

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        PrebuiltBatch batch = Workload.BuildBatch(recordSize);
        long batches = BatchCount(batch);
        long records = batches * batch.Records;
        long bytes = method.StartsWith("FasterLog", StringComparison.Ordinal)
            ? records * Workload.FasterEntryBytes(recordSize)
            : batches * batch.Bytes.Length;
        return new WorkPerOperation(records, bytes, batches);
    }

    private static long BatchCount(PrebuiltBatch batch) => (TargetRecords + batch.Records - 1) / batch.Records;

    [GlobalSetup(Targets = [nameof(LogStoreRead), nameof(FileStreamRead)])]
    public void SetupLogStore()
    {
        _batch = Workload.BuildBatch(RecordSize);
        _records = BatchCount(_batch) * _batch.Records;
        _directory = Workload.NewTempDirectory("read-ls");
        _broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory }).AsTask().GetAwaiter().GetResult();
        _partition = _broker.CreateTopicAsync("bench").AsTask().GetAwaiter().GetResult().Partitions[0];
        RecordBatch batch = _batch.Parse();
        for (long i = BatchCount(_batch); i > 0; i--)
            _partition.AppendAsync(batch).AsTask().GetAwaiter().GetResult();
        _partition.FlushAsync().AsTask().GetAwaiter().GetResult();
        if (_partition.LogEndOffset != _records)
            throw new InvalidOperationException($"Expected {_records} records, found {_partition.LogEndOffset}.");
        _segmentFiles = [.. _partition.Segments.Select(s => s.LogPath)];
        _readBuffer = new byte[FetchMaxBytes];
        Check(LogStoreRead().GetAwaiter().GetResult());
        FileStreamRead();
    }

    [GlobalSetup(Target = nameof(FasterLogScan))]
    public void SetupFasterLog()
    {
        _batch = Workload.BuildBatch(RecordSize);
        _records = BatchCount(_batch) * _batch.Records;
        _faster = FasterLogHarness.Create(Workload.NewTempDirectory("read-fl"));
        byte[] value = _batch.Value;
        for (long i = 0; i < _records; i++)
            _faster.Log.Enqueue(value.AsSpan());
        _faster.Log.CommitAsync().AsTask().GetAwaiter().GetResult();
        Check(FasterLogScan());
    }

    private void Check(long bytes)
    {
        if (bytes != _records * RecordSize)
            throw new InvalidOperationException($"Read {bytes} bytes of values, expected {_records * RecordSize}.");
    }

    /// <summary>Raw sequential read of the segment files in 1 MiB reads: the page-cache copy ceiling.</summary>
    [Benchmark]
    public long FileStreamRead()
    {
        long total = 0;
        foreach (string path in _segmentFiles)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            int n;
            while ((n = file.Read(_readBuffer)) > 0)
                total += n;
        }
        return total;
    }

    /// <summary>ReadAsync of 1 MiB fetches from offset 0 to the end; every record of every batch decoded.</summary>
    [Benchmark]
    public Task<long> LogStoreRead() => SpanReads.ReadAllAsync(_partition, FetchMaxBytes).AsTask();

    /// <summary>FasterLog's scan of every entry: UnsafeGetNext hands out a pointer into its page frame, no copy.</summary>
    [Benchmark(Baseline = true)]
    public long FasterLogScan() => _faster!.ScanAll();

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker = null;
        Workload.DeleteDirectory(_directory);
        _faster?.Dispose();
        _faster = null;
    }
}
