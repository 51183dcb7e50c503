using System.Diagnostics;
using System.Globalization;

namespace LogStore.Benchmarks;

/// <summary>
/// Many partitions (issue 18, an application with a topic per tenant): times creating N one-segment partitions, a
/// clean close, a clean reopen and a reopen after SIGKILL, and counts the process's open files (<c>/proc/self/fd</c>),
/// memory mappings (<c>/proc/self/maps</c> lines) and the disk the data directory takes (<c>du</c>).
/// </summary>
/// <remarks>
/// <para>Usage: <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- many-partitions [partitions] [topic|tenants]</c>
/// (defaults 2000, topic). <c>topic</c> creates one topic of N partitions; <c>tenants</c> N topics of one partition.
/// Not a BenchmarkDotNet class: a kill cannot be repeated inside one process, and each step is timed once with a
/// stopwatch.</para>
/// <para>Steps: a fresh directory; create; one batch of 10 records of 100 bytes to every partition and a
/// <c>FlushAsync</c>; counts and <c>du</c>; clean close; clean reopen and close; then a child process
/// (<c>many-partitions-child</c>) opens the directory, appends and flushes one more batch to every partition (acknowledged
/// as durable), says READY and is SIGKILLed; this process times the reopen of what the kill left, checks every
/// partition's log end, and times its clean close.</para>
/// </remarks>
internal static class ManyPartitionsBenchmark
{
    private const int RecordsPerBatch = 10;
    private static readonly byte[] Batch = Workload.Build(Workload.Value(100), RecordsPerBatch);

    public static int Run(string[] args)
    {
        int partitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2_000;
        bool tenants = args.Length > 1 && args[1] == "tenants";
        string directory = Workload.NewTempDirectory("many");
        string shape = tenants ? $"{partitions:N0} topics of 1 partition" : $"1 topic of {partitions:N0} partitions";
        try
        {
            Console.WriteLine($"{shape}, data in {directory}, before: {Counts(directory)}");
            var watch = Stopwatch.StartNew();
            Broker broker = Open(directory);
            double openMs = Lap(watch);
            IReadOnlyList<Partition> all = Create(broker, partitions, tenants);
            double createMs = Lap(watch);
            AppendToEach(all);
            broker.FlushAsync().AsTask().GetAwaiter().GetResult();
            double appendMs = Lap(watch);
            string created = Counts(directory);
            long diskKiB = DiskKiB(directory);
            broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
            double closeMs = Lap(watch);
            Console.WriteLine($"RESULT create {createMs:F0} ms (first open {openMs:F0} ms); append+flush 1 batch each {appendMs:F0} ms; " +
                $"clean close {closeMs:F0} ms; after create+append: {created}, du {diskKiB:N0} KiB");

            watch.Restart();
            broker = Open(directory);
            double reopenMs = Lap(watch);
            string reopened = Counts(directory);
            broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
            double closeAgainMs = Lap(watch);
            Console.WriteLine($"RESULT clean reopen {reopenMs:F0} ms ({reopened}); clean close of the idle store {closeAgainMs:F0} ms");

            KillChildAfterAppend(directory);
            watch.Restart();
            broker = Open(directory);
            double recoverMs = Lap(watch);
            string recovered = Counts(directory);
            Check(broker, partitions, 2 * RecordsPerBatch);
            watch.Restart();
            broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
            double closeRecoveredMs = Lap(watch);
            Console.WriteLine($"RESULT reopen after SIGKILL {recoverMs:F0} ms ({recovered}); clean close after it {closeRecoveredMs:F0} ms; " +
                $"du {DiskKiB(directory):N0} KiB");
            return 0;
        }
        finally
        {
            Workload.DeleteDirectory(directory);
        }
    }

    /// <summary>The child: opens the store, appends and flushes one batch to every partition, prints READY and waits.</summary>
    public static int Child(string[] args)
    {
        Broker broker = Open(args[0]);
        var all = broker.Topics.SelectMany(t => t.Partitions).ToList();
        AppendToEach(all);
        broker.FlushAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"READY {Counts(args[0])}");
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static Broker Open(string directory) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = directory }).AsTask().GetAwaiter().GetResult();

    private static IReadOnlyList<Partition> Create(Broker broker, int partitions, bool tenants)
    {
        if (!tenants)
            return broker.CreateTopicAsync("t", new TopicConfig { Partitions = partitions }).AsTask().GetAwaiter().GetResult().Partitions;
        var all = new List<Partition>(partitions);
        for (int i = 0; i < partitions; i++)
            all.Add(broker.CreateTopicAsync($"tenant-{i}").AsTask().GetAwaiter().GetResult().Partitions[0]);
        return all;
    }

    private static void AppendToEach(IEnumerable<Partition> partitions)
    {
        foreach (Partition p in partitions)
            p.AppendAsync(RecordBatch.Parse((byte[])Batch.Clone())).AsTask().GetAwaiter().GetResult();
    }

    private static void Check(Broker broker, int partitions, long expectedEnd)
    {
        int found = 0;
        foreach (Partition p in broker.Topics.SelectMany(t => t.Partitions))
        {
            if (p.LogEndOffset != expectedEnd)
                throw new InvalidOperationException($"{p.Id}: log end {p.LogEndOffset}, expected {expectedEnd}.");
            found++;
        }
        if (found != partitions)
            throw new InvalidOperationException($"{found} partitions reopened, expected {partitions}.");
    }

    private static void KillChildAfterAppend(string directory)
    {
        string ready = Workload.KillChildWhenReady("many-partitions-child", directory);
        Console.WriteLine($"child appended and flushed, then SIGKILL ({ready[5..].Trim()})");
    }

    private static double Lap(Stopwatch watch)
    {
        double ms = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        return ms;
    }

    /// <summary>Open files and mappings of the whole process, and of them those under <paramref name="directory"/>.</summary>
    private static string Counts(string directory)
    {
        if (!OperatingSystem.IsLinux())
            return "counts need Linux";
        string prefix = directory + "/";
        int fds = 0, ours = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            fds++;
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(prefix, StringComparison.Ordinal))
                    ours++;
            }
            catch (IOException)
            {
                // Closed while listed.
            }
        }
        int maps = 0, ourMaps = 0;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            maps++;
            if (line.Contains(prefix, StringComparison.Ordinal))
                ourMaps++;
        }
        return $"{fds:N0} open files ({ours:N0} in the store), {maps:N0} mappings ({ourMaps:N0} of store files)";
    }

    /// <summary>The disk blocks the directory takes (<c>du -sk</c>), or -1 where there is no du.</summary>
    private static long DiskKiB(string directory)
    {
        try
        {
            using Process du = Process.Start(new ProcessStartInfo("du", ["-sk", directory]) { RedirectStandardOutput = true, UseShellExecute = false })!;
            string output = du.StandardOutput.ReadToEnd();
            du.WaitForExit();
            return long.Parse(output.Split('\t')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException)
        {
            return -1;
        }
    }
}
