using System.Diagnostics;
using System.Globalization;

namespace LogStore.Benchmarks;

/// <summary>
/// Restart time after a SIGKILL (issue 5): a child process (this program in <c>restart-child</c> mode) builds a topic
/// of 5,000 flushed segments, then appends 64 MiB more that it never flushes, says so and waits; the parent kills it
/// with SIGKILL and times <c>Broker.OpenAsync</c> of what the kill left. Each round opens a fresh copy of the crashed
/// directory, so every round recovers the same bytes: the files stay in the page cache, as after a process crash, and
/// only the unflushed tail is dirty.
/// A last round opens a copy without its <c>partition.checkpoint</c>: everything is then validated, which shows what
/// the recovery point saves.
/// </summary>
/// <remarks>
/// <para>Usage: <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- restart [segments] [unflushedMiB] [rounds]</c>
/// (defaults 5000, 64, 5). Not a BenchmarkDotNet class: a kill cannot be repeated inside one process, and one open
/// takes long enough to be timed with a stopwatch.</para>
/// <para>Layout: segments roll on time, not size (one hour of record timestamps each), so that the 5,000 small flushed
/// segments and the one 64 MiB unflushed segment after them come from one topic configuration. Segments roll in the
/// background flush as in production, and the child flushes explicitly before the tail, so the checkpoint's recovery
/// point is the tail's first offset.</para>
/// </remarks>
internal static class RestartBenchmark
{
    private const string Topic = "restart";
    private const int FlushedBatchRecords = 10;
    private const int RecordBytes = 100;
    private const int TailRecordBytes = 1000;
    // Past segment.ms (the roll is due only once strictly more than it has passed).
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds + 1;

    /// <summary>Rolls once an hour of timestamps passed; retention and size rolls stay out of the way.</summary>
    private static readonly TopicConfig Config = new()
    {
        SegmentBytes = int.MaxValue,
        SegmentRollTime = TimeSpan.FromHours(1),
        RetentionTime = null,
        SegmentIndexBytes = 1 << 20,
    };

    public static int Run(string[] args)
    {
        int segments = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000;
        int unflushedMiB = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;

        string crashed = Workload.NewTempDirectory("restart");
        try
        {
            var build = Stopwatch.StartNew();
            (long logEnd, long recoveryPoint) = BuildAndKill(crashed, segments, unflushedMiB);
            Console.WriteLine($"child built {segments:N0} flushed segments + {unflushedMiB} MiB unflushed " +
                $"(log end {logEnd:N0}, recovery point {recoveryPoint:N0}) and was SIGKILLed after {build.Elapsed.TotalSeconds:F1} s");
            if (File.Exists(Path.Combine(crashed, ".logstore_cleanshutdown")))
                throw new InvalidOperationException("The killed child left a clean-shutdown marker.");

            string tailLog = Path.Combine(Topic + "-0", recoveryPoint.ToString("D20", CultureInfo.InvariantCulture) + ".log");
            var times = new List<double>();
            for (int round = 0; round < rounds; round++)
                times.Add(TimeOpen(crashed, tailLog, logEnd, segments + 1, withCheckpoint: true, $"round {round + 1}"));
            times.Sort();
            Console.WriteLine($"RESULT restart after SIGKILL: {segments:N0} flushed segments + {unflushedMiB} MiB unflushed: " +
                $"Broker.OpenAsync min {times[0]:F0} ms, median {times[times.Count / 2]:F0} ms, max {times[^1]:F0} ms ({rounds} rounds)");
            double full = TimeOpen(crashed, tailLog, logEnd, segments + 1, withCheckpoint: false, "no checkpoint");
            Console.WriteLine($"RESULT same directory without partition.checkpoint (everything validated): {full:F0} ms");
            return times[times.Count / 2] < 2000 ? 0 : 1;
        }
        finally
        {
            Workload.DeleteDirectory(crashed);
        }
    }

    /// <summary>Starts the child, waits for its READY line and SIGKILLs it. Returns the log end and recovery point it reported.</summary>
    private static (long LogEnd, long RecoveryPoint) BuildAndKill(string directory, int segments, int unflushedMiB)
    {
        string[] parts = Workload.KillChildWhenReady("restart-child", directory, segments.ToString(CultureInfo.InvariantCulture),
            unflushedMiB.ToString(CultureInfo.InvariantCulture)).Split(' ');
        return (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Copies the crashed directory, opens the copy once (timed) and checks what it found.</summary>
    /// <remarks>The copy is made to look like the crashed directory did to the next process: everything but the
    /// unflushed tail is written back (sync) first, the tail is copied last and left in the page cache, dirty, so the
    /// open's fsync of the recovered tail costs what it would after a real kill.</remarks>
    private static double TimeOpen(string crashed, string tailLog, long expectedLogEnd, int expectedSegments, bool withCheckpoint, string label)
    {
        string copy = Workload.NewTempDirectory("restart-open");
        try
        {
            CopyDirectory(crashed, copy, except: tailLog);
            Sync();
            File.Copy(Path.Combine(crashed, tailLog), Path.Combine(copy, tailLog));
            if (!withCheckpoint)
                File.Delete(Path.Combine(copy, Topic + "-0", "partition.checkpoint"));
            var watch = Stopwatch.StartNew();
            Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = copy }).AsTask().GetAwaiter().GetResult();
            double ms = watch.Elapsed.TotalMilliseconds;
            try
            {
                Partition partition = broker.Topics.Single().Partitions[0];
                if (partition.LogEndOffset != expectedLogEnd || partition.Segments.Count != expectedSegments)
                {
                    throw new InvalidOperationException($"{label}: reopened log end {partition.LogEndOffset} with {partition.Segments.Count} " +
                        $"segments, expected {expectedLogEnd} with {expectedSegments}.");
                }
            }
            finally
            {
                broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            Console.WriteLine($"{label}: Broker.OpenAsync {ms:F0} ms");
            return ms;
        }
        finally
        {
            Workload.DeleteDirectory(copy);
        }
    }

    private static void CopyDirectory(string from, string to, string except)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        string skipped = Path.Combine(from, except);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) != ".lock" && file != skipped)
                File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    /// <summary>sync(2): writes every dirty page of the machine back (Unix; elsewhere nothing).</summary>
    private static void Sync()
    {
        if (OperatingSystem.IsWindows())
            return;
        using Process sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false })!;
        sync.WaitForExit();
    }

    /// <summary>The child: builds the store, prints "READY logEnd recoveryPoint" and waits to be killed.</summary>
    public static int Child(string[] args)
    {
        string directory = args[0];
        int segments = int.Parse(args[1], CultureInfo.InvariantCulture);
        long unflushedBytes = int.Parse(args[2], CultureInfo.InvariantCulture) * (1L << 20);

        Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = directory }).AsTask().GetAwaiter().GetResult();
        Partition partition = broker.CreateTopicAsync(Topic, Config).AsTask().GetAwaiter().GetResult().Partitions[0];
        byte[] small = Workload.Value(RecordBytes);
        long timestamp = Workload.Timestamp;
        for (int i = 0; i < segments; i++, timestamp += Hour)
            Append(partition, Batch(small, FlushedBatchRecords, timestamp));
        partition.FlushAsync().AsTask().GetAwaiter().GetResult();
        long recoveryPoint = partition.LogEndOffset;

        // The tail: one more hour rolls it into a segment of its own, then batches of one timestamp stay in it.
        byte[] large = Workload.Value(TailRecordBytes);
        int tailRecords = (Workload.BatchBytes - RecordBatch.HeaderSize) / (TailRecordBytes + 16);
        long written = 0;
        while (written < unflushedBytes)
        {
            byte[] bytes = Batch(large, tailRecords, timestamp);
            Append(partition, bytes);
            written += bytes.Length;
        }
        if (partition.Segments.Count != segments + 1 || partition.Segments[^1].BaseOffset != recoveryPoint)
            throw new InvalidOperationException($"Expected {segments} segments before an unflushed one at {recoveryPoint}; found {partition.Segments.Count}.");
        Console.WriteLine($"READY {partition.LogEndOffset} {recoveryPoint}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static void Append(Partition partition, byte[] batch) =>
        partition.AppendAsync(RecordBatch.Parse(batch)).AsTask().GetAwaiter().GetResult();

    private static byte[] Batch(byte[] value, int count, long timestamp)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None, Workload.BatchBytes);
        for (int i = 0; i < count; i++)
            builder.Append(timestamp, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
        return builder.Build().Memory.ToArray();
    }
}
