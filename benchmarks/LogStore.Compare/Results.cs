namespace LogStore.Compare;

/// <summary>One system's figures in one workload: the median of the measured rounds.</summary>
internal sealed class SystemResult
{
    /// <summary>"LogStore (partition)", "FasterLog", …: the row's name in the table and the chart.</summary>
    public required string System { get; init; }

    /// <summary>What exactly was measured: API, settings, durability.</summary>
    public required string Method { get; init; }

    public long Records { get; init; }

    /// <summary>User payload: records × value size (what MB/s counts; each system's own overhead is not counted).</summary>
    public long PayloadBytes { get; init; }

    /// <summary>Median wall time of the measured rounds.</summary>
    public double Seconds { get; init; }

    public double RecordsPerSecond => Seconds > 0 ? Records / Seconds : 0;

    public double MegabytesPerSecond => Seconds > 0 ? PayloadBytes / Seconds / 1e6 : 0;

    public long AllocatedBytes { get; init; }

    public long ThreadAllocatedBytes { get; init; }

    public double AllocatedPerRecord => Records > 0 ? (double)AllocatedBytes / Records : 0;

    /// <summary>This system's records/s over the workload's LogStore baseline (null for the baseline itself or when
    /// there is none).</summary>
    public double? RatioToLogStore { get; set; }

    /// <summary>Every measured round's wall time, to show the spread.</summary>
    public List<double> RoundSeconds { get; init; } = [];

    /// <summary>Random reads only: per-lookup latency.</summary>
    public Latency? Latency { get; init; }
}

/// <summary>One workload's rows.</summary>
internal sealed class WorkloadResult
{
    /// <summary>"1" … "7"; workload 6 has one result per log size ("6@1000000").</summary>
    public required string Id { get; init; }

    public required string Title { get; init; }

    /// <summary>The row the ratios are computed against.</summary>
    public required string Baseline { get; init; }

    public List<SystemResult> Systems { get; init; } = [];

    public SystemResult? Find(string system) => Systems.Find(s => s.System == system);

    /// <summary>Fills <see cref="SystemResult.RatioToLogStore"/> from the baseline row's records/s.</summary>
    public WorkloadResult WithRatios()
    {
        SystemResult? baseline = Find(Baseline);
        foreach (SystemResult s in Systems)
        {
            s.RatioToLogStore = baseline is null || ReferenceEquals(s, baseline) || baseline.RecordsPerSecond <= 0
                ? null
                : s.RecordsPerSecond / baseline.RecordsPerSecond;
        }
        return this;
    }
}

/// <summary>Everything one run produced: what --out writes and what the chart and the tables read.</summary>
internal sealed class RunReport
{
    public required string Command { get; init; }

    public required MachineInfo Machine { get; init; }

    public DateTimeOffset Started { get; init; }

    public DateTimeOffset Finished { get; set; }

    /// <summary>/proc/loadavg (1, 5, 15 min) when the run started and when it finished.</summary>
    public string? LoadAtStart { get; init; }

    public string? LoadAtEnd { get; set; }

    /// <summary>The machine's limits measured before the first workload and after the last.</summary>
    public MachineLimits? LimitsAtStart { get; init; }

    public MachineLimits? LimitsAtEnd { get; set; }

    public bool Quick { get; init; }

    public int Rounds { get; init; }

    /// <summary>Warm-up rounds before them (one in runs before 2026-12-07, whose files lack it).</summary>
    public int WarmupRounds { get; init; } = 1;

    /// <summary>Each system's settings, named once (FasterLog's page and memory sizes, SQLite's pragmas, …).</summary>
    public Dictionary<string, string> Settings { get; init; } = [];

    public List<WorkloadResult> Workloads { get; init; } = [];

    public List<TargetVerdict> Targets { get; set; } = [];
}

/// <summary>One of issue 6's targets and how this run measured against it.</summary>
internal sealed record TargetVerdict(string Target, string Measured, bool? Met);
