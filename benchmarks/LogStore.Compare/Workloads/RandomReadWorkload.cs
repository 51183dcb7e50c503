using LogStore.BenchmarkShared;
using System.Diagnostics;
using System.Globalization;
using LogStore.Compare.Systems;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workload 6: random reads of single records by offset, one at a time, on logs of each size in
/// <see cref="CompareOptions.RandomLogs"/> (1 M and 50 M records). Every system writes the log (untimed, durable),
/// reads a separate warm-up sample, then the measured sample (the same offsets for every system), each read timed on
/// its own; then the log is deleted before the next system writes its own (so only one 5 GB log competes for the page
/// cache at a time: the reads are warm page-cache reads, what the index and the read path cost, not the disk).
/// FasterLog has no offsets: it is read by the logical addresses its Enqueue returned for the sampled records, twice:
/// blocking on each ReadAsync (as before), and awaiting it in an async loop, as its users write it. A read that goes
/// to its device completes on another thread, and blocking on it cost a thread wake-up per read (p50 15-20 us against
/// 4-5 us awaited), which made FasterLog look three times slower than it is.
/// </summary>
internal sealed class RandomReadWorkload(CompareOptions options, int size) : IWorkload
{
    private const int Systems = 4;

    private readonly byte[] _value = Payload.Value(size);

    public int Number => 6;

    public string Title => "random reads by offset";

    public int Steps => options.RandomLogs.Length * Systems;

    public void Run(ProgressSink progress, Action<WorkloadResult> completed)
    {
        foreach (long records in options.RandomLogs)
        {
            long[] measured = Sample(records, options.Lookups, seed: 7);
            long[] warmup = Sample(records, Math.Min(options.Lookups, 10_000), seed: 8);
            var result = new WorkloadResult
            {
                Id = $"6@{records}",
                Title = $"random reads by offset, log of {records:N0} x {size} B",
                Baseline = SystemNames.LogStore,
            };
            string label = $"W6 log of {records:N0}";

            progress.Status($"{label}: FileStream");
            if (options.Includes(SystemNames.FileStream))
                result.Systems.AddRange(FileStream(records, measured, warmup));
            progress.Step();
            progress.Status($"{label}: LogStore");
            if (options.Includes(SystemNames.LogStore) || options.Includes(SystemNames.SegmentPread) || options.Includes(SystemNames.SegmentMapped))
                result.Systems.AddRange(LogStore(records, measured, warmup));
            progress.Step();
            progress.Status($"{label}: FasterLog");
            if (options.Includes(SystemNames.FasterLog))
                result.Systems.AddRange(FasterLog(records, measured, warmup));
            progress.Step();
            progress.Status($"{label}: SQLite");
            if (options.Includes(SystemNames.Sqlite))
                result.Systems.Add(Sqlite(records, measured, warmup));
            progress.Step();
            foreach (SystemResult s in result.Systems)
            {
                progress.Log(string.Create(CultureInfo.InvariantCulture,
                    $"  {label} {s.System,-28} p50 {s.Latency!.Value.P50Us,8:0.0} us  p99 {s.Latency.Value.P99Us,8:0.0} us  p99.9 {s.Latency.Value.P999Us,8:0.0} us  {s.AllocatedPerRecord,8:0} B/read"));
            }
            completed(result.WithRatios());
        }
    }

    private static long[] Sample(long records, int count, int seed)
    {
        var random = new Random(seed);
        var offsets = new long[count];
        for (int i = 0; i < count; i++)
            offsets[i] = random.NextInt64(records);
        return offsets;
    }

    /// <summary>Two floors: a pread of the record alone (what a log with fixed-size records and no checksum pays), and a
    /// pread of the batch-sized block around it (what any read that checks a batch's CRC pays before anything else).</summary>
    private SystemResult[] FileStream(long records, long[] measured, long[] warmup)
    {
        string directory = Scratch.NewDirectory("w6-fs");
        try
        {
            string path = Path.Combine(directory, "raw.log");
            using (var file = new RawFile(path, writeBehind: true))
            {
                file.WriteRecords(Payload.Chunk(size), size, records);
                file.Complete();
            }
            using SafeFileHandle handle = File.OpenHandle(path);
            var buffer = new byte[size];
            SystemResult record = Measure(SystemNames.FileStream, "pread of the record at offset x size (fixed-size records: no index at all)",
                measured, warmup, offset => RandomAccess.Read(handle, buffer, offset * size));
            int blockBytes = Payload.BatchBytes;
            var block = new byte[blockBytes];
            long fileBytes = records * size;
            SystemResult batch = Measure(SystemNames.BatchSizedPread, $"pread of the {blockBytes / 1024} KiB block holding the record (a batch's read, no CRC, no index)",
                measured, warmup, offset =>
                {
                    long start = Math.Min(offset * size / blockBytes * blockBytes, Math.Max(0, fileBytes - blockBytes));
                    return RandomAccess.Read(handle, block, start) > 0 ? size : 0;
                });
            return [record, batch];
        }
        finally
        {
            Scratch.Delete(directory);
        }
    }

    private SystemResult[] LogStore(long records, long[] measured, long[] warmup)
    {
        using LogStoreStore store = LogStoreStore.Create("w6-ls");
        store.AppendDurably(_value, records, options.LoadAppendBytes);
        var results = new List<SystemResult>();
        if (options.Includes(SystemNames.LogStore))
        {
            Partition partition = store.Partition();
            results.Add(Measure(SystemNames.LogStore, $"Partition.ReadAsync(offset, maxBytes 1): offset index lookup, the {Payload.BatchBytes / 1024} KiB batch read and CRC-checked, the record found by RecordEnumerator.MoveTo (the records before it stepped over by length)",
                measured, warmup, offset => LogStoreReads.ReadAt(partition, offset)));
        }
        if (options.Includes(SystemNames.SegmentPread) || options.Includes(SystemNames.SegmentMapped))
            results.AddRange(SegmentFloors(store, measured, warmup));
        return [.. results];
    }

    /// <summary>
    /// The floors of LogStore's read on its own files (<see cref="SegmentFloors"/>). Beside the batch-sized pread of the
    /// FileStream file (written in 1 MiB pieces) the pread shows what the page cache's layout costs: the kernel keeps what
    /// one write brought in as folios no larger than that write (see the page-cache benchmark); the mapped read shows
    /// what reading rolled segments in place would leave of it.
    /// </summary>
    private SystemResult[] SegmentFloors(LogStoreStore store, long[] measured, long[] warmup)
    {
        using var floors = new SegmentFloors(Path.Combine(store.Directory, $"{LogStoreStore.TopicName}-0"), Payload.RecordsPerBatch(size));
        var results = new List<SystemResult>();
        if (options.Includes(SystemNames.SegmentPread))
        {
            results.Add(Measure(SystemNames.SegmentPread, $"pread of the {floors.BatchBytes:N0} B batch holding the record in LogStore's .log (no index, no CRC)",
                measured, warmup, Checked(floors.Pread())));
        }
        if (options.Includes(SystemNames.SegmentMapped))
        {
            results.Add(Measure(SystemNames.SegmentMapped, $"the {floors.BatchBytes:N0} B batch holding the record read in place through a mapping of LogStore's .log, CRC-checked (no index)",
                measured, warmup, Checked(floors.Mapped())));
        }
        return [.. results];
    }

    /// <summary>A floor's read as a record read: the record's size when the right batch was read back.</summary>
    private Func<long, int> Checked(Func<long, bool> read) => offset => read(offset) ? size : 0;

    private SystemResult[] FasterLog(long records, long[] measured, long[] warmup)
    {
        using FasterLogHarness log = FasterLogHarness.Create(Scratch.NewDirectory("w6-fl"));
        long[] wanted = [.. measured.Concat(warmup).Distinct().Order()];
        var addresses = new long[wanted.Length];
        int next = 0;
        FASTER.core.FasterLog faster = log.Log;
        for (long i = 0; i < records; i++)
        {
            long address = faster.Enqueue(_value.AsSpan());
            if (next < wanted.Length && wanted[next] == i)
                addresses[next++] = address;
        }
        log.Commit();
        long[] Addresses(long[] offsets) => [.. offsets.Select(o => addresses[Array.BinarySearch(wanted, o)])];
        long[] measuredAddresses = Addresses(measured);
        long[] warmupAddresses = Addresses(warmup);
        int estimated = size + 4;
        SystemResult blocking = Measure(SystemNames.FasterLog, "FasterLog.ReadAsync(logical address from Enqueue): a byte[] per read",
            measuredAddresses, warmupAddresses, address => log.ReadAt(address, estimated));
        SystemResult awaited = MeasureAsync(SystemNames.FasterLogAwait, "FasterLog.ReadAsync(logical address) awaited in an async loop",
            measuredAddresses, warmupAddresses, async address => (await faster.ReadAsync(address, estimated)).Item2).GetAwaiter().GetResult();
        return [blocking, awaited];
    }

    private SystemResult Sqlite(long records, long[] measured, long[] warmup)
    {
        using SqliteStore db = SqliteStore.Create("w6-sq");
        db.AppendDurably(_value, records);
        using SqliteStore.Lookup lookup = db.CreateLookup();
        return Measure(SystemNames.Sqlite, "prepared SELECT value WHERE id = offset + 1 (rowid B-tree lookup), GetBytes",
            measured, warmup, lookup.ReadAt);
    }

    /// <summary>Times every read on its own; the warm-up sample is read first, untimed.</summary>
    private SystemResult Measure(string system, string method, long[] measured, long[] warmup, Func<long, int> read)
    {
        foreach (long key in warmup)
            Check(read(key));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var ticks = new long[measured.Length];
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long threadAllocated = GC.GetAllocatedBytesForCurrentThread();
        long total = Stopwatch.GetTimestamp();
        for (int i = 0; i < measured.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int length = read(measured[i]);
            ticks[i] = Stopwatch.GetTimestamp() - start;
            Check(length);
        }
        double seconds = Stopwatch.GetElapsedTime(total).TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        threadAllocated = GC.GetAllocatedBytesForCurrentThread() - threadAllocated;
        return Result(system, method, ticks, seconds, allocated, threadAllocated);
    }

    /// <summary><see cref="Measure"/> for a read awaited in an async loop.</summary>
    private async Task<SystemResult> MeasureAsync(string system, string method, long[] measured, long[] warmup, Func<long, ValueTask<int>> read)
    {
        foreach (long key in warmup)
            Check(await read(key));
        var ticks = new long[measured.Length];
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long total = Stopwatch.GetTimestamp();
        for (int i = 0; i < measured.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            int length = await read(measured[i]);
            ticks[i] = Stopwatch.GetTimestamp() - start;
            Check(length);
        }
        double seconds = Stopwatch.GetElapsedTime(total).TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        // An awaited read may continue on another thread: no per-thread allocation figure.
        return Result(system, method, ticks, seconds, allocated, threadAllocated: 0);
    }

    private SystemResult Result(string system, string method, long[] ticks, double seconds, long allocated, long threadAllocated) => new()
    {
        System = system,
        Method = method,
        Records = ticks.Length,
        PayloadBytes = (long)ticks.Length * size,
        Seconds = seconds,
        AllocatedBytes = allocated,
        ThreadAllocatedBytes = threadAllocated,
        RoundSeconds = [seconds],
        Latency = Compare.Latency.FromTicks(ticks),
    };

    private void Check(int length)
    {
        if (length != size)
            throw new InvalidOperationException($"A random read returned {length} bytes, expected {size}.");
    }
}
