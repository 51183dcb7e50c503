using System.Diagnostics;

namespace LogStore.Compare;

/// <summary>One measured run: wall time and allocation, process-wide (every thread: FasterLog's flush threads,
/// LogStore's producer sender) and on the measuring thread.</summary>
/// <param name="Seconds">Wall time of the measured region.</param>
/// <param name="AllocatedBytes">GC.GetTotalAllocatedBytes(precise) difference: every thread of the process.</param>
/// <param name="ThreadAllocatedBytes">GC.GetAllocatedBytesForCurrentThread difference: the measuring thread only.</param>
internal readonly record struct Sample(double Seconds, long AllocatedBytes, long ThreadAllocatedBytes);

internal static class Meter
{
    /// <summary>Runs <paramref name="body"/> after a full collection (so that no earlier run's garbage is collected
    /// inside this one) and measures it.</summary>
    public static Sample Measure(Action body)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long total = GC.GetTotalAllocatedBytes(precise: true);
        long thread = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        body();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Sample(seconds, GC.GetTotalAllocatedBytes(precise: true) - total, GC.GetAllocatedBytesForCurrentThread() - thread);
    }

    /// <summary>The median of the rounds (the middle one, or the mean of the two middle ones).</summary>
    public static Sample Median(IReadOnlyList<Sample> samples)
    {
        Sample[] sorted = [.. samples.OrderBy(s => s.Seconds)];
        int mid = sorted.Length / 2;
        if (sorted.Length % 2 == 1)
            return sorted[mid];
        Sample a = sorted[mid - 1], b = sorted[mid];
        return new Sample((a.Seconds + b.Seconds) / 2, (a.AllocatedBytes + b.AllocatedBytes) / 2, (a.ThreadAllocatedBytes + b.ThreadAllocatedBytes) / 2);
    }
}

/// <summary>Latency percentiles of one random-read run, in microseconds.</summary>
internal readonly record struct Latency(double MeanUs, double P50Us, double P99Us, double P999Us, double MaxUs)
{
    /// <summary>From per-operation Stopwatch ticks (sorts <paramref name="ticks"/> in place).</summary>
    public static Latency FromTicks(long[] ticks)
    {
        Array.Sort(ticks);
        double toUs = 1e6 / Stopwatch.Frequency;
        double At(double q) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(q * ticks.Length) - 1)] * toUs;
        return new Latency(ticks.Average() * toUs, At(0.50), At(0.99), At(0.999), ticks[^1] * toUs);
    }
}
