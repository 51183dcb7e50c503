using System.Globalization;

namespace LogStore.Benchmarks;

/// <summary>
/// The process's CPU time by kind of thread, from <c>/proc/self/task/*/schedstat</c> (nanoseconds on the CPU): the
/// main thread (the application calling the client), librdkafka's threads (named <c>rdk:*</c>), the JIT's tiered
/// compiler, and every other thread (in the listener benchmark, the broker: its connection and request work runs on the
/// thread pool). Linux only; elsewhere everything reads zero. Threads that ended between two reads drop out of the
/// difference, so a phase's split is a lower bound of its threads' work.
/// </summary>
internal static class ThreadCpu
{
    /// <summary>CPU time, in microseconds (or microseconds per record, after a division), by kind of thread.</summary>
    public readonly record struct Split(double Main, double Librdkafka, double Jit, double Other)
    {
        public const string Header = "main / rdk:* / JIT / other threads (µs)";

        public static Split operator -(Split a, Split b) => new(a.Main - b.Main, a.Librdkafka - b.Librdkafka, a.Jit - b.Jit, a.Other - b.Other);

        public static Split operator /(Split a, double d) => new(a.Main / d, a.Librdkafka / d, a.Jit / d, a.Other / d);

        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Main:F2} / {Librdkafka:F2} / {Jit:F2} / {Other:F2}");
    }

    public static Split Read()
    {
        if (!OperatingSystem.IsLinux())
            return default;
        int mainThread = Environment.ProcessId;
        double main = 0, rdk = 0, jit = 0, other = 0;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string comm, schedstat;
            try
            {
                comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                schedstat = File.ReadAllText(Path.Combine(task, "schedstat"));
            }
            catch (IOException)
            {
                continue; // the thread ended while being read
            }
            double micros = long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ')), CultureInfo.InvariantCulture) / 1000.0;
            if (int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture) == mainThread)
                main += micros;
            else if (comm.StartsWith("rdk:", StringComparison.Ordinal))
                rdk += micros;
            else if (comm.StartsWith(".NET Tiered", StringComparison.Ordinal))
                jit += micros;
            else
                other += micros;
        }
        return new Split(main, rdk, jit, other);
    }
}
