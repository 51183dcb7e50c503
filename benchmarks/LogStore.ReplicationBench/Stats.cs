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
        double runQueue = RunQueueSecondsNow();
        long start = Stopwatch.GetTimestamp();
        await body();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        process.Refresh();
        return new Sample(seconds, (process.TotalProcessorTime - cpu).TotalSeconds, RunQueueSecondsNow() - runQueue);
    }

    /// <summary>The sum of this process's live threads' run-queue wait (the second field of
    /// /proc/self/task/*/schedstat, in ns); 0 where there is none. Threads that exit take theirs with them, so a
    /// difference can only undercount.</summary>
    public static double RunQueueSecondsNow()
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        long total = 0;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                string[] fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                total += long.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread exited between the listing and the read.
            }
        }
        return total / 1e9;
    }
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
