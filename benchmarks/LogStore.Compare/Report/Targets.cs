using System.Globalization;

namespace LogStore.Compare;

/// <summary>
/// Issue 6's targets, checked against one run's figures (ratios within the run). A target whose figures were not
/// measured (a workload left out) is reported with Met = null.
/// </summary>
internal static class Targets
{
    private const string LogStore = Workloads.SystemNames.LogStore;
    private const string FasterLog = Workloads.SystemNames.FasterLog;
    private const string Sqlite = Workloads.SystemNames.Sqlite;

    public static List<TargetVerdict> Evaluate(IReadOnlyList<WorkloadResult> results)
    {
        var verdicts = new List<TargetVerdict>();
        WorkloadResult? W(string id) => results.FirstOrDefault(r => r.Id == id);

        void Ratio(string target, string id, string other, double aim, string otherLabel)
        {
            SystemResult? ls = W(id)?.Find(LogStore), o = W(id)?.Find(other);
            if (ls is null || o is null || o.RecordsPerSecond <= 0)
            {
                verdicts.Add(new TargetVerdict(target, "not measured", null));
                return;
            }
            double ratio = ls.RecordsPerSecond / o.RecordsPerSecond;
            verdicts.Add(new TargetVerdict(target, F($"{ratio:0.00}x ({Rate(ls.RecordsPerSecond)} vs {Rate(o.RecordsPerSecond)} {otherLabel})"), ratio >= aim));
        }

        void Ceiling(string target, string id, double aim)
        {
            WorkloadResult? w = W(id);
            SystemResult? ls = w?.Find(LogStore);
            SystemResult? ceiling = w?.Systems.Where(s => s.System.StartsWith(Workloads.SystemNames.FileStream, StringComparison.Ordinal))
                .MaxBy(s => s.MegabytesPerSecond);
            if (ls is null || ceiling is null)
            {
                verdicts.Add(new TargetVerdict(target, "not measured", null));
                return;
            }
            double share = ls.MegabytesPerSecond / ceiling.MegabytesPerSecond;
            verdicts.Add(new TargetVerdict(target, F($"{share:P0} ({ls.MegabytesPerSecond:N0} vs {ceiling.MegabytesPerSecond:N0} MB/s, {ceiling.System})"), share >= aim));
        }

        Ratio("Append 100 B >= 1.0x FasterLog (records/s)", "1", FasterLog, 1.0, "FasterLog");
        Ceiling("Append 100 B >= 85% of the FileStream ceiling (MB/s of payload)", "1", 0.85);
        Ratio("Append 1 KiB >= 1.5x FasterLog", "2", FasterLog, 1.5, "FasterLog");
        Ceiling("Append 1 KiB >= 90% of the FileStream ceiling", "2", 0.90);
        Ratio("Read back >= 2x FasterLog's scan (records/s, spans)", "3", FasterLog, 2.0, "FasterLog");
        Ratio("fsync every 1 MiB >= 1.0x FasterLog committing every 1 MiB", "4", FasterLog, 1.0, "FasterLog");
        Ratio("Append 100 B >= 20x SQLite", "1", Sqlite, 20, "SQLite");
        Ratio("Append 1 KiB >= 20x SQLite", "2", Sqlite, 20, "SQLite");

        WorkloadResult[] random = [.. results.Where(r => r.Id.StartsWith("6@", StringComparison.Ordinal))];
        if (random.Length >= 2 && random[0].Find(LogStore)?.Latency is Latency small && random[^1].Find(LogStore)?.Latency is Latency large)
        {
            double growth = large.P99Us / small.P99Us;
            verdicts.Add(new TargetVerdict(F($"Random read p99 grows < 2x from {random[0].Id[2..]} to {random[^1].Id[2..]} records"),
                F($"{growth:0.00}x (p99 {small.P99Us:0.0} us -> {large.P99Us:0.0} us; p50 {small.P50Us:0.0} -> {large.P50Us:0.0} us)"), growth < 2.0));
        }
        else
        {
            verdicts.Add(new TargetVerdict("Random read p99 grows < 2x from 1 M to 50 M records", "not measured", null));
        }

        SystemResult? open = W("7")?.Find(LogStore);
        verdicts.Add(open is null
            ? new TargetVerdict("Open of 10,000 segments < 200 ms", "not measured", null)
            : new TargetVerdict(F($"Open of {open.Records:N0} segments < 200 ms"), F($"{open.Seconds * 1000:0.0} ms (median; {open.RoundSeconds.Min() * 1000:0.0}-{open.RoundSeconds.Max() * 1000:0.0} ms)"), open.Seconds < 0.2));
        return verdicts;
    }

    public static string Rate(double perSecond) => perSecond >= 1e6
        ? F($"{perSecond / 1e6:0.00} M/s")
        : F($"{perSecond / 1e3:0.0} K/s");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
