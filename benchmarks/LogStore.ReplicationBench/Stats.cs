using System.Diagnostics;
using System.Globalization;

namespace LogStore.ReplicationBench;

/// <summary>
/// Wall time, the process's CPU time and its threads' run-queue wait over one measured region: cores used = CPU /
/// wall; run-queue wait / wall says how many of the process's threads were, on average, ready to run but waiting for
/// a core (Linux's schedstat), the sign of a machine shared with other work.
/// </summary>
internal readonly record struct Sample(double Seconds, double CpuSeconds, double RunQueueSeconds)
{
    public double Cores => CpuSeconds / Seconds;

    public double Waiting => RunQueueSeconds / Seconds;

    public static async Task<Sample> MeasureAsync(Func<Task> body)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        Dictionary<int, long> runQueue = RunQueueNow();
        long start = Stopwatch.GetTimestamp();
        await body();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        process.Refresh();
        return new Sample(seconds, (process.TotalProcessorTime - cpu).TotalSeconds, RunQueueSecondsSince(runQueue));
    }

    /// <summary>The run-queue wait of each live thread of this process (the second field of
    /// /proc/self/task/TID/schedstat, in ns), by thread id; empty where there is none.</summary>
    public static Dictionary<int, long> RunQueueNow()
    {
        var waits = new Dictionary<int, long>();
        if (!OperatingSystem.IsLinux())
            return waits;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                string[] fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                waits[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread exited between the listing and the read.
            }
        }
        return waits;
    }

    /// <summary>Seconds of run-queue wait since <paramref name="before"/>, over the threads alive now (a thread that
    /// exited in between takes its wait with it: an undercount, never a negative; a thread id seen again with less wait
    /// is a new thread, counted whole).</summary>
    public static double RunQueueSecondsSince(Dictionary<int, long> before) =>
        RunQueueNow().Sum(t => before.TryGetValue(t.Key, out long then) && then <= t.Value ? t.Value - then : t.Value) / 1e9;
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0)
            return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The nearest-rank percentile <paramref name="q"/> (0..1) of sorted values.</summary>
    public static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
