using LogStore.BenchmarkShared;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace LogStore.Benchmarks;

/// <summary>
/// Durable sequential append of 1 GiB per operation: 65,536 prebuilt 16 KiB batches (of 100-byte or 1 KiB records)
/// then one fsync, against the same bytes written by a raw <see cref="FileStream"/> (the ceiling, the baseline) and
/// the same records enqueued one by one into FasterLog and committed once. Every iteration starts from an empty
/// directory on the real disk (/tmp) and deletes it afterwards; the batch is built once, outside the measured
/// region (an append rewrites its baseOffset in place, outside the CRC, so one batch can be appended N times).
/// </summary>
/// <remarks>
/// The batches stay within 16 KiB, so 65,536 of them fill a 1 GiB segment without rolling it: the operation measures
/// the append path, not segment creation. Records/s, MB/s and allocation per batch come from the Mean
/// (<see cref="ThroughputConfig"/>). <see cref="FileStreamWriteBehind"/> is the real ceiling (a second baseline): the same
/// writes, with the kernel asked to start writing back each 8 MiB as soon as it is written (Linux sync_file_range,
/// as RocksDB's bytes_per_sync), so the disk works while the producer still writes and the final fsync has little
/// left to do. LogStore's own append path does the same (FileRecords.Append), so FileStreamWriteBehind is the
/// ceiling it is measured against. The iteration counts are capped (each operation moves 1 GiB): without <c>--job</c> a case takes
/// 8 to 15 measured iterations.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
[MinWarmupCount(2)]
[MaxWarmupCount(5)]
[MinIterationCount(8)]
[MaxIterationCount(15)]
public partial class AppendBenchmarks
{
    /// <summary>How many bytes <see cref="FileStreamWriteBehind"/> writes between two sync_file_range calls.</summary>
    public const int WriteBehindBytes = 8 << 20;

    private const uint SyncFileRangeWrite = 2;

    public const int BatchesPerOperation = 65_536;

    private PrebuiltBatch _batch = null!;
    private string? _directory;
    private FileStream? _file;
    private Broker? _broker;
    private Partition _partition = null!;
    private FasterLogHarness? _faster;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    public static WorkPerOperation DescribeWork(string method, int recordSize)
    {
        PrebuiltBatch batch = Workload.BuildBatch(recordSize);
        long records = (long)batch.Records * BatchesPerOperation;
        long bytes = method == nameof(FasterLog)
            ? records * Workload.FasterEntryBytes(recordSize)
            : (long)batch.Bytes.Length * BatchesPerOperation;
        return new WorkPerOperation(records, bytes, BatchesPerOperation);
    }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _batch = Workload.BuildBatch(RecordSize);
        Console.WriteLine($"// {RecordSize}-byte records: {_batch.Records} per {_batch.Bytes.Length}-byte batch, " +
            $"{(long)_batch.Records * BatchesPerOperation:N0} records and {(long)_batch.Bytes.Length * BatchesPerOperation:N0} bytes per operation");
    }

    [IterationSetup(Targets = [nameof(FileStreamWrite), nameof(FileStreamWriteBehind)])]
    public void SetupFileStream()
    {
        _directory = Workload.NewTempDirectory("append-fs");
        _file = new FileStream(Path.Combine(_directory, "raw.log"), FileMode.CreateNew, FileAccess.Write, FileShare.None,
            bufferSize: 0, FileOptions.None);
    }

    [IterationCleanup(Targets = [nameof(FileStreamWrite), nameof(FileStreamWriteBehind)])]
    public void CleanupFileStream()
    {
        _file?.Dispose();
        _file = null;
        Workload.DeleteDirectory(_directory);
    }

    /// <summary>The ceiling: the same bytes, one write(2) per batch as LogStore's append, one fsync at the end.</summary>
    [Benchmark(Baseline = true)]
    public void FileStreamWrite()
    {
        FileStream file = _file!;
        byte[] bytes = _batch.Bytes;
        for (int i = 0; i < BatchesPerOperation; i++)
            file.Write(bytes);
        file.Flush(flushToDisk: true);
    }

    /// <summary>The same writes, with writeback of each finished 8 MiB started at once (Linux only); one fsync at the end.</summary>
    [Benchmark]
    public void FileStreamWriteBehind()
    {
        FileStream file = _file!;
        byte[] bytes = _batch.Bytes;
        int fd = (int)file.SafeFileHandle.DangerousGetHandle();
        long synced = 0;
        long written = 0;
        for (int i = 0; i < BatchesPerOperation; i++)
        {
            file.Write(bytes);
            written += bytes.Length;
            if (written - synced >= WriteBehindBytes)
            {
                _ = SyncFileRange(fd, synced, written - synced, SyncFileRangeWrite);
                synced = written;
            }
        }
        file.Flush(flushToDisk: true);
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [IterationSetup(Target = nameof(LogStoreAppend))]
    public void SetupLogStore()
    {
        _directory = Workload.NewTempDirectory("append-ls");
        _broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = _directory }).AsTask().GetAwaiter().GetResult();
        Topic topic = _broker.CreateTopicAsync("bench").AsTask().GetAwaiter().GetResult();
        _partition = topic.Partitions[0];
    }

    [IterationCleanup(Target = nameof(LogStoreAppend))]
    public void CleanupLogStore()
    {
        _broker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _broker = null;
        Workload.DeleteDirectory(_directory);
    }

    /// <summary>Partition.AppendAsync of every batch (validation, CRC check, offset assignment, index), then FlushAsync.</summary>
    [Benchmark]
    public async Task LogStoreAppend()
    {
        Partition partition = _partition;
        RecordBatch batch = _batch.Parse();
        for (int i = 0; i < BatchesPerOperation; i++)
            await partition.AppendAsync(batch);
        await partition.FlushAsync();
    }

    [IterationSetup(Target = nameof(FasterLog))]
    public void SetupFasterLog() => _faster = FasterLogHarness.Create(Workload.NewTempDirectory("append-fl"));

    [IterationCleanup(Target = nameof(FasterLog))]
    public void CleanupFasterLog()
    {
        _faster?.Dispose();
        _faster = null;
    }

    /// <summary>The same records, one Enqueue(span) each, then one commit (which waits for the flush).</summary>
    [Benchmark]
    public async Task FasterLog()
    {
        FASTER.core.FasterLog log = _faster!.Log;
        byte[] value = _batch.Value;
        long records = (long)_batch.Records * BatchesPerOperation;
        for (long i = 0; i < records; i++)
            log.Enqueue(value.AsSpan());
        await log.CommitAsync();
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        CleanupFileStream();
        CleanupLogStore();
        CleanupFasterLog();
    }
}
