using ScottPlot;
using N = LogStore.Compare.Workloads.SystemNames;

namespace LogStore.Compare;

/// <summary>
/// The PNG the README shows (ScottPlot 5): four panels from one run's results — durable appends in MB/s of payload,
/// read-back in records/s, random-read p99 latency by log size, and the open time of the segmented store — with one
/// colour per system throughout.
/// </summary>
internal static class ChartRenderer
{
    private static readonly (string System, string Label, Color Color)[] Palette =
    [
        (N.FileStream, "FileStream (ceiling)", Color.FromHex("#9e9e9e")),
        (N.LogStore, "LogStore (partition)", Color.FromHex("#1565c0")),
        (N.LogStoreProducer, "LogStore (producer)", Color.FromHex("#64b5f6")),
        (N.LogStoreProducerKeyed, "LogStore (producer, keyed)", Color.FromHex("#42a5f5")),
        (N.LogStoreConsumer, "LogStore (consumer)", Color.FromHex("#90caf9")),
        (N.LogStoreConsumerViews, "LogStore (consumer, views)", Color.FromHex("#bbdefb")),
        (N.LogStoreConsumerLent, "LogStore (consumer, lent batches)", Color.FromHex("#0d47a1")),
        (N.FasterLog, "FasterLog (4 MiB pages, 64 MiB memory)", Color.FromHex("#ef6c00")),
        (N.FasterLogAwait, "FasterLog, ReadAsync awaited", Color.FromHex("#ffb74d")),
        (N.Sqlite, "SQLite", Color.FromHex("#2e7d32")),
    ];

    public static void Render(RunReport report, string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(4);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 2, columns: 2);

        Grouped(multiplot.GetPlot(0), "Durable appends: MB/s of payload (higher is better)", "MB/s",
            [.. report.Workloads.Where(w => w.Id is "1" or "2" or "4" or "5")],
            [N.FileStream, N.LogStore, N.LogStoreProducer, N.LogStoreProducerKeyed, N.FasterLog, N.Sqlite],
            w => ShortTitle(w.Id), s => s.MegabytesPerSecond);
        WorkloadResult[] read = [.. report.Workloads.Where(w => w.Id == "3")];
        double copyCeiling = read.SelectMany(w => w.Systems).Where(s => s.System == N.FileStream).Select(s => s.RecordsPerSecond / 1e6).FirstOrDefault();
        // The raw page-cache copy (no decoding) is an order of magnitude above every log: named in the title, not drawn.
        Grouped(multiplot.GetPlot(1), $"Read everything back: M records/s (higher is better; raw copy {copyCeiling:0} M/s)", "M records/s",
            read,
            [N.LogStore, N.LogStoreConsumer, N.LogStoreConsumerViews, N.LogStoreConsumerLent, N.FasterLog, N.Sqlite],
            w => ShortTitle(w.Id), s => s.RecordsPerSecond / 1e6);
        Grouped(multiplot.GetPlot(2), "Random read by offset: p99 latency, us (lower is better)", "p99 (us)",
            [.. report.Workloads.Where(w => w.Id.StartsWith("6@", StringComparison.Ordinal))],
            [N.FileStream, N.LogStore, N.FasterLog, N.FasterLogAwait, N.Sqlite],
            w => ShortTitle(w.Id), s => s.Latency?.P99Us ?? 0);
        Open(multiplot.GetPlot(3), report.Workloads.FirstOrDefault(w => w.Id == "7"));

        multiplot.SavePng(path, 1600, 1000);
    }

    private static string ShortTitle(string id) => id switch
    {
        "1" => "100 B",
        "2" => "1 KiB",
        "3" => "100 B records",
        "4" => "fsync / 1 MiB",
        "5" => "4 part. / 2 threads",
        _ when id.StartsWith("6@", StringComparison.Ordinal) => $"{Count(long.Parse(id[2..], System.Globalization.CultureInfo.InvariantCulture))} records",
        _ => id,
    };

    private static string Count(long n) => n >= 1_000_000 ? $"{n / 1e6:0.#} M" : n >= 1000 ? $"{n / 1e3:0.#} K" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Bars grouped by workload, one bar per system present; the FileStream bar is the best FileStream variant.</summary>
    private static void Grouped(Plot plot, string title, string yLabel, WorkloadResult[] workloads, string[] systems,
        Func<WorkloadResult, string> groupLabel, Func<SystemResult, double> value)
    {
        plot.Title(title, size: 16);
        plot.YLabel(yLabel);
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        double width = 1.0 / (systems.Length + 1);
        for (int g = 0; g < workloads.Length; g++)
        {
            for (int k = 0; k < systems.Length; k++)
            {
                SystemResult? s = systems[k] == N.FileStream
                    ? workloads[g].Systems.Where(r => r.System.StartsWith(N.FileStream, StringComparison.Ordinal)).MaxBy(value)
                    : workloads[g].Find(systems[k]);
                if (s is null)
                    continue;
                double v = value(s);
                bars.Add(new Bar
                {
                    Position = g + (k - (systems.Length - 1) / 2.0) * width,
                    Value = v,
                    Size = width * 0.9,
                    FillColor = ColorOf(systems[k]),
                    Label = v >= 100 ? $"{v:N0}" : $"{v:0.#}",
                });
            }
            ticks.Add(new Tick(g, groupLabel(workloads[g])));
        }
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 10;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        // Room above the tallest bar for the legend (upper right), so it never hides a bar.
        plot.Axes.Margins(bottom: 0, top: 0.4);
        foreach (string system in systems)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = LabelOf(system), FillColor = ColorOf(system) });
        plot.Legend.Alignment = Alignment.UpperRight;
        plot.ShowLegend();
    }

    private static void Open(Plot plot, WorkloadResult? open)
    {
        SystemResult? s = open?.Find(N.LogStore);
        plot.Title(s is null ? "Open (not measured)" : $"Open a store of {s.Records:N0} segments: ms (target < 200)", size: 16);
        plot.YLabel("ms");
        if (s is null)
            return;
        double ms = s.Seconds * 1000;
        var bar = plot.Add.Bars(new[] { new Bar { Position = 0, Value = ms, Size = 0.5, FillColor = ColorOf(N.LogStore), Label = $"{ms:0.0} ms" } });
        bar.ValueLabelStyle.FontSize = 12;
        var line = plot.Add.HorizontalLine(200);
        line.LineColor = Colors.Red;
        line.LinePattern = LinePattern.Dashed;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([new Tick(0, "LogStore Broker.OpenAsync (median)")]);
        plot.Axes.SetLimits(-1, 1, 0, Math.Max(220, ms * 1.2));
    }

    private static Color ColorOf(string system) => Palette.FirstOrDefault(p => p.System == system).Color;

    private static string LabelOf(string system) => Palette.FirstOrDefault(p => p.System == system).Label ?? system;
}
