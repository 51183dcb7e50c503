using System.Globalization;
using N = LogStore.Compare.Workloads.SystemNames;

namespace LogStore.Compare;

/// <summary>
/// The aims (issue 16's, where it replaced issue 6's), checked against one run's figures (ratios within the run). An
/// aim whose figures were not measured (a workload or system left out) is reported with Met = null.
/// </summary>
internal static class Targets
{
    public static List<TargetVerdict> Evaluate(IReadOnlyList<WorkloadResult> results)
    {
        var verdicts = new List<TargetVerdict>();
        WorkloadResult? W(string id) => results.FirstOrDefault(r => r.Id == id);
        void NotMeasured(string target) => verdicts.Add(new TargetVerdict(target, "not measured", null));

        void Ratio(string id, string system, string other, double aim, string what)
        {
            string target = F($"{what}: {system} >= {aim:0.0#}x {other}");
            SystemResult? ours = W(id)?.Find(system), theirs = W(id)?.Find(other);
            if (ours is null || theirs is null || theirs.RecordsPerSecond <= 0)
            {
                NotMeasured(target);
                return;
            }
            double ratio = ours.RecordsPerSecond / theirs.RecordsPerSecond;
            verdicts.Add(new TargetVerdict(target, F($"{ratio:0.00}x ({Rate(ours.RecordsPerSecond)} vs {Rate(theirs.RecordsPerSecond)})"), ratio >= aim));
        }

        void Ceiling(string id, string system, double aim, string what)
        {
            string target = F($"{what}: {system} >= {aim:P0} of the FileStream ceiling (MB/s of payload)");
            WorkloadResult? w = W(id);
            SystemResult? ours = w?.Find(system);
            SystemResult? ceiling = w?.Systems.Where(s => s.System.StartsWith(N.FileStream, StringComparison.Ordinal))
                .MaxBy(s => s.MegabytesPerSecond);
            if (ours is null || ceiling is null)
            {
                NotMeasured(target);
                return;
            }
            double share = ours.MegabytesPerSecond / ceiling.MegabytesPerSecond;
            verdicts.Add(new TargetVerdict(target, F($"{share:P0} ({ours.MegabytesPerSecond:N0} vs {ceiling.MegabytesPerSecond:N0} MB/s, {ceiling.System})"), share >= aim));
        }

        void LatencyAim(string id, string system, string percentile, Func<Latency, double> pick, double aimUs, string what)
        {
            string target = F($"{what}: {system} {percentile} <= {aimUs / 1000:0.#} ms");
            if (W(id)?.Find(system)?.Latency is not Latency latency)
            {
                NotMeasured(target);
                return;
            }
            double us = pick(latency);
            verdicts.Add(new TargetVerdict(target, F($"{us / 1000:0.00} ms"), us <= aimUs));
        }

        Ratio("1", N.LogStoreProducer, N.FasterLog, 1.2, "Append 100 B");
        Ratio("1", N.LogStoreProducerKeyed, N.FasterLog, 1.2, "Append 100 B");
        Ceiling("1", N.LogStoreProducer, 0.85, "Append 100 B");
        Ratio("2", N.LogStoreProducer, N.FasterLog, 2.0, "Append 1 KiB");
        Ratio("2", N.LogStoreProducerKeyed, N.FasterLog, 2.0, "Append 1 KiB");
        Ceiling("2", N.LogStoreProducer, 0.85, "Append 1 KiB");
        Ratio("3", N.LogStoreConsumerLent, N.FasterLog, 1.5, "Read back 100 B");
        Ratio("3", N.LogStoreConsumer, N.FasterLog, 1.0, "Read back 100 B");
        Ratio("4", N.LogStore, N.FasterLog, 1.2, "fsync every 1 MiB");
        Ratio("5", N.LogStoreProducer, N.FasterLog, 1.2, "4 partitions");
        Ratio("1", N.LogStore, N.Sqlite, 20, "Append 100 B");
        Ratio("2", N.LogStore, N.Sqlite, 20, "Append 1 KiB");

        WorkloadResult[] random = [.. results.Where(r => r.Id.StartsWith("6@", StringComparison.Ordinal))];
        foreach (WorkloadResult w in random)
            Ratio(w.Id, N.LogStore, N.FasterLogAwait, 1.5, F($"Random reads, log of {w.Id[2..]}"));
        if (random.Length >= 2 && random[0].Find(N.LogStore)?.Latency is Latency small && random[^1].Find(N.LogStore)?.Latency is Latency large)
        {
            double growth = large.P99Us / small.P99Us;
            verdicts.Add(new TargetVerdict(F($"Random read p99 grows < 2x from {random[0].Id[2..]} to {random[^1].Id[2..]} records"),
                F($"{growth:0.00}x (p99 {small.P99Us:0.0} us -> {large.P99Us:0.0} us; p50 {small.P50Us:0.0} -> {large.P50Us:0.0} us)"), growth < 2.0));
        }
        else
        {
            NotMeasured("Random read p99 grows < 2x from 1 M to 50 M records");
        }

        SystemResult? open = W("7")?.Find(N.LogStore);
        if (open is null)
            NotMeasured("Open of 10,000 segments < 200 ms");
        else
            verdicts.Add(new TargetVerdict(F($"Open of {open.Records:N0} segments < 200 ms"), F($"{open.Seconds * 1000:0.0} ms (median; {open.RoundSeconds.Min() * 1000:0.0}-{open.RoundSeconds.Max() * 1000:0.0} ms)"), open.Seconds < 0.2));

        // End-to-end latency at 100 K records/s: non-durable with linger 0 (Kafka's advice for latency), durable with an
        // fsync before a record can be read.
        const string Latency100K = "8@100000";
        LatencyAim(Latency100K, N.LogStoreLatencyNoLinger, "p99", l => l.P99Us, 1_000, "Latency at 100 K/s");
        LatencyAim(Latency100K, N.LogStoreLatencyNoLinger, "p99.9", l => l.P999Us, 5_000, "Latency at 100 K/s");
        LatencyAim(Latency100K, N.LogStoreLatencyDurable, "p99", l => l.P99Us, 3_000, "Latency at 100 K/s");
        return verdicts;
    }

    public static string Rate(double perSecond) => perSecond >= 1e6
        ? F($"{perSecond / 1e6:0.00} M/s")
        : F($"{perSecond / 1e3:0.0} K/s");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
