using System.Globalization;
using System.Text;
using Spectre.Console;

namespace LogStore.Compare;

/// <summary>The end-of-run tables: on the console (Spectre.Console) and as Markdown (for benchmarks/RESULTS.md).</summary>
internal static class ResultTable
{
    private static readonly string[] Headers = ["Workload", "System", "Records/s", "MB/s", "vs LogStore", "Alloc/record", "p50 / p99 / p99.9 (us)", "Rounds (s)"];

    public static void Write(RunReport report)
    {
        var settings = new Table().Border(TableBorder.Rounded).Title("Systems and settings");
        settings.AddColumn("System");
        settings.AddColumn("Settings");
        foreach ((string system, string value) in report.Settings)
            settings.AddRow(Markup.Escape(system), Markup.Escape(value));
        AnsiConsole.Write(settings);

        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"Results: median of {report.Rounds} round(s) after {report.WarmupRounds} warm-up round(s)"));
        foreach (string header in Headers)
            table.AddColumn(new TableColumn(header).RightAligned());
        table.Columns[0].LeftAligned();
        table.Columns[1].LeftAligned();
        foreach (WorkloadResult workload in report.Workloads)
        {
            bool first = true;
            foreach (string[] row in Rows(workload))
            {
                row[0] = first ? row[0] : "";
                table.AddRow([.. row.Select(Markup.Escape)]);
                first = false;
            }
            table.AddEmptyRow();
        }
        AnsiConsole.Write(table);

        var targets = new Table().Border(TableBorder.Rounded).Title("Targets: issue 16's aims and issue 6's");
        targets.AddColumn("Target");
        targets.AddColumn("Measured");
        targets.AddColumn("Verdict");
        foreach (TargetVerdict v in report.Targets)
            targets.AddRow(Markup.Escape(v.Target), Markup.Escape(v.Measured), v.Met switch { true => "[green]met[/]", false => "[red]missed[/]", _ => "-" });
        AnsiConsole.Write(targets);
    }

    /// <summary>The same tables in Markdown.</summary>
    public static string Markdown(RunReport report)
    {
        var md = new StringBuilder();
        string took = report.Finished > report.Started ? F($"{(report.Finished - report.Started).TotalMinutes:0.0} min") : "still running";
        md.AppendLine(F($"Run of {report.Started:yyyy-MM-dd HH:mm zzz}, {took}, {report.Rounds} measured round(s) after {report.WarmupRounds} warm-up round(s){(report.Quick ? " (--quick: a smoke run, not results)" : "")}."));
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine(report.Command);
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine($"- Machine: {report.Machine}");
        md.AppendLine($"- Load average (1/5/15 min) at the start: {report.LoadAtStart ?? "unknown"}; at the end: {report.LoadAtEnd ?? "unknown"}");
        md.AppendLine($"- Limits measured in the run, at the start: {report.LimitsAtStart?.ToString() ?? "not measured"}; at the end: {report.LimitsAtEnd?.ToString() ?? "not measured"}");
        md.AppendLine();
        md.AppendLine("| " + string.Join(" | ", Headers) + " |");
        md.AppendLine("|---|---|" + string.Concat(Enumerable.Repeat("---:|", Headers.Length - 2)));
        foreach (WorkloadResult workload in report.Workloads)
        {
            bool first = true;
            foreach (string[] row in Rows(workload))
            {
                row[0] = first ? row[0] : "";
                md.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
                first = false;
            }
        }
        md.AppendLine();
        md.AppendLine("| Target | Measured | Verdict |");
        md.AppendLine("|---|---|---|");
        foreach (TargetVerdict v in report.Targets)
            md.AppendLine($"| {v.Target} | {v.Measured} | {v.Met switch { true => "**met**", false => "**missed**", _ => "-" }} |");
        md.AppendLine();
        md.AppendLine("| System | Settings |");
        md.AppendLine("|---|---|");
        foreach ((string system, string value) in report.Settings)
            md.AppendLine($"| {system} | {value} |");
        md.AppendLine();
        md.AppendLine("| Workload | System | What is measured |");
        md.AppendLine("|---|---|---|");
        foreach (WorkloadResult workload in report.Workloads)
        {
            foreach (SystemResult s in workload.Systems)
                md.AppendLine($"| {workload.Id} | {s.System} | {s.Method} |");
        }
        return md.ToString();
    }

    private static IEnumerable<string[]> Rows(WorkloadResult workload)
    {
        foreach (SystemResult s in workload.Systems)
        {
            bool open = workload.Id == "7";
            yield return
            [
                F($"{workload.Id}: {workload.Title}"),
                s.System,
                open ? "-" : Targets.Rate(s.RecordsPerSecond),
                open || s.PayloadBytes == 0 ? "-" : F($"{s.MegabytesPerSecond:N0}"),
                s.RatioToLogStore is double r ? F($"{r:0.00}x") : (s.System == workload.Baseline ? "1.00x" : "-"),
                open ? F($"{s.AllocatedBytes / 1e6:0.0} MB") : F($"{s.AllocatedPerRecord:0.##} B"),
                s.Latency is Latency l ? F($"{l.P50Us:0.0} / {l.P99Us:0.0} / {l.P999Us:0.0}") : open ? F($"open {s.Seconds * 1000:0.0} ms") : "-",
                string.Join(", ", s.RoundSeconds.Select(x => open ? F($"{x * 1000:0.0} ms") : F($"{x:0.00}"))),
            ];
        }
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
