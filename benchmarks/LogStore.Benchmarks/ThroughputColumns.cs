using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Parameters;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace LogStore.Benchmarks;

/// <summary>What one invocation of a benchmark method does: records, bytes and batches (or buffers).</summary>
/// <param name="Records">Records written or read (for a checksum: 0).</param>
/// <param name="Bytes">Bytes written to the file, read, or hashed.</param>
/// <param name="Batches">16 KiB batches (or writes, entries' equivalents) per operation, for the allocation per batch.</param>
public readonly record struct WorkPerOperation(long Records, long Bytes, long Batches);

/// <summary>
/// Adds Records/s, MB/s (10^6 bytes per second) and allocated bytes per batch, computed from BenchmarkDotNet's
/// Mean (the time of one operation) and the work the benchmark class declares for the case through a
/// <c>public static WorkPerOperation DescribeWork(string method, int recordSize)</c>.
/// </summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(new ThroughputColumn(ThroughputKind.RecordsPerSecond));
        AddColumn(new ThroughputColumn(ThroughputKind.MegabytesPerSecond));
        AddColumn(new ThroughputColumn(ThroughputKind.AllocatedPerBatch));
    }
}

/// <summary>Which figure a <see cref="ThroughputColumn"/> shows.</summary>
public enum ThroughputKind
{
    RecordsPerSecond,
    MegabytesPerSecond,
    AllocatedPerBatch,
}

/// <summary>One derived column; see <see cref="ThroughputConfig"/>.</summary>
public sealed class ThroughputColumn(ThroughputKind kind) : IColumn
{
    public string Id => "LogStore." + kind;

    public string ColumnName => kind switch
    {
        ThroughputKind.RecordsPerSecond => "Records/s",
        ThroughputKind.MegabytesPerSecond => "MB/s",
        _ => "Alloc/batch",
    };

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        ThroughputKind.RecordsPerSecond => "Records per second: records per operation / Mean",
        ThroughputKind.MegabytesPerSecond => "Megabytes (10^6 bytes) per second: bytes written, read or hashed per operation / Mean",
        _ => "Bytes allocated per 16 KiB batch (or per equivalent unit of work): Allocated / batches per operation",
    };

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        WorkPerOperation? work = Describe(benchmarkCase);
        BenchmarkReport? report = summary[benchmarkCase];
        if (work is not WorkPerOperation w || report is null)
            return "-";
        switch (kind)
        {
            case ThroughputKind.AllocatedPerBatch:
                long? allocated = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
                return allocated is long a && w.Batches > 0
                    ? ((double)a / w.Batches).ToString("0.##", CultureInfo.InvariantCulture) + " B"
                    : "-";
            default:
                double? meanNs = report.ResultStatistics?.Mean;
                if (meanNs is not double ns || ns <= 0)
                    return "-";
                double seconds = ns / 1e9;
                if (kind == ThroughputKind.RecordsPerSecond)
                    return w.Records > 0 ? FormatRate(w.Records / seconds) : "-";
                return w.Bytes > 0 ? (w.Bytes / seconds / 1e6).ToString("N0", CultureInfo.InvariantCulture) : "-";
        }
    }

    private static string FormatRate(double perSecond) => perSecond >= 1e6
        ? (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M"
        : (perSecond / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " K";

    private static WorkPerOperation? Describe(BenchmarkCase benchmarkCase)
    {
        MethodInfo? describe = benchmarkCase.Descriptor.Type.GetMethod("DescribeWork", BindingFlags.Public | BindingFlags.Static);
        if (describe is null)
            return null;
        int recordSize = 0;
        foreach (ParameterInstance parameter in benchmarkCase.Parameters.Items)
        {
            if (parameter.Name is "RecordSize" or "Size" && parameter.Value is int size)
                recordSize = size;
        }
        return (WorkPerOperation?)describe.Invoke(null, [benchmarkCase.Descriptor.WorkloadMethod.Name, recordSize]);
    }

    public override string ToString() => ColumnName;
}
