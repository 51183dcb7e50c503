using LogStore.BenchmarkShared;
using System.Diagnostics;
using LogStore.Compare.Systems;
using LogStore.Compare.Workloads;
using Spectre.Console;

namespace LogStore.Compare;

/// <summary>
/// Issue 6's comparison: the same workloads on LogStore, FasterLog, SQLite and a raw FileStream, interleaved in one
/// process run. See <c>--help</c> (<see cref="CompareOptions"/>) and benchmarks/RESULTS.md.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        // Redirected (CI, a log file): Spectre would wrap the tables at 80 columns.
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = 220;
        return CompareOptions.Command(args, Run,
            chart: (json, png) =>
            {
                ChartRenderer.Render(ResultsFile.Read(json), png);
                AnsiConsole.MarkupLine($"Chart written to [bold]{Markup.Escape(png)}[/].");
            },
            // For benchmarks/RESULTS.md: the section of a run, regenerated from its --out file.
            // The aims are evaluated again, so an older run's file is judged by today's aims.
            markdown: results =>
            {
                RunReport report = ResultsFile.Read(results);
                report.Targets = Targets.Evaluate(report.Workloads);
                Console.Write(ResultTable.Markdown(report));
            }).Parse(args).Invoke();
    }

    private static void Run(CompareOptions options)
    {
        Scratch.Root = options.DataRoot;
        Payload.BatchBytes = options.BatchBytes;
        Scratch.DeleteLeftovers();
        var report = new RunReport
        {
            Command = "dotnet run -c Release --project benchmarks/LogStore.Compare --" + (options.CommandLine.Length > 0 ? " " + options.CommandLine : ""),
            Machine = MachineInfo.Detect(options.DataRoot),
            Started = DateTimeOffset.Now,
            LoadAtStart = MachineInfo.LoadAverage(),
            LimitsAtStart = MachineLimits.Measure(options.DataRoot, LimitBytes(options)),
            Quick = options.Quick,
            Rounds = options.Rounds,
            WarmupRounds = options.WarmupRounds,
            Settings = Settings(options),
        };
        AnsiConsole.MarkupLine($"[bold]LogStore.Compare[/] {Markup.Escape(report.Command)}");
        AnsiConsole.MarkupLine(Markup.Escape(report.Machine.ToString()));
        AnsiConsole.MarkupLine(Markup.Escape($"Limits at the start: {report.LimitsAtStart}"));

        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var runner = new RoundRunner(options);
                List<(IWorkload Workload, ProgressTask Task)> planned = [.. Workloads(options, runner).Select(w =>
                    (w, context.AddTask(Markup.Escape($"W{w.Number} {w.Title}"), autoStart: false, maxValue: Math.Max(1, w.Steps))))];
                foreach ((IWorkload workload, ProgressTask task) in planned)
                {
                    var sink = new ProgressSink(task);
                    sink.Begin(workload.Steps);
                    workload.Run(sink, result =>
                    {
                        report.Workloads.Add(result);
                        if (options.Out is not null)
                            ResultsFile.Write(options.Out, report);
                    });
                    sink.End();
                    task.Description = Markup.Escape($"W{workload.Number} {workload.Title}: done");
                }
            });

        report.Finished = DateTimeOffset.Now;
        report.LoadAtEnd = MachineInfo.LoadAverage();
        report.LimitsAtEnd = MachineLimits.Measure(options.DataRoot, LimitBytes(options));
        report.Targets = Targets.Evaluate(report.Workloads);
        ResultTable.Write(report);
        AnsiConsole.MarkupLine(Markup.Escape($"Limits at the end: {report.LimitsAtEnd}"));
        AnsiConsole.MarkupLine(Markup.Escape($"Run took {(report.Finished - report.Started).TotalMinutes:0.0} min."));
        if (options.Out is not null)
        {
            ResultsFile.Write(options.Out, report);
            AnsiConsole.MarkupLine($"Results written to [bold]{Markup.Escape(options.Out)}[/] (and {Markup.Escape(Path.ChangeExtension(options.Out, ".md"))}).");
        }
        if (options.Chart is not null)
        {
            ChartRenderer.Render(report, options.Chart);
            AnsiConsole.MarkupLine($"Chart written to [bold]{Markup.Escape(options.Chart)}[/].");
        }
    }

    /// <summary>What dd writes to measure the disk: 1 GiB (64 MiB in a --quick smoke run).</summary>
    private static long LimitBytes(CompareOptions o) => o.Quick ? 64L << 20 : 1L << 30;

    private static List<IWorkload> Workloads(CompareOptions o, RoundRunner runner)
    {
        var all = new List<IWorkload>
        {
            new AppendWorkload(1, o.Records, o.Size, runner),
            new AppendWorkload(2, o.LargeRecords, o.LargeSize, runner),
            new ReadWorkload(o.Records, o.Size, o.LoadAppendBytes, runner),
            new FsyncWorkload(o.Records, o.Size, runner),
            new ParallelWorkload(o.Records, o.Size, runner),
            new RandomReadWorkload(o, o.Size),
            new OpenWorkload(o.Segments),
            new LatencyWorkload(o),
        };
        return [.. all.Where(w => o.Workloads.Contains(w.Number))];
    }

    private static Dictionary<string, string> Settings(CompareOptions o) => new()
    {
        ["LogStore"] = $"src/LogStore at {GitCommit()}, defaults: 1 GiB segments, offset index entry every 4 KiB, writeback started every 8 MiB. " +
            $"Partition path: RecordBatchBuilder ({o.BatchBytes / 1024} KiB batches, null keys) + Partition.AppendAsync, Partition/Broker.FlushAsync (fsync). " +
            "Producer path: Broker.CreateProducer<Null, byte[]>() with default ProducerOptions (16 KiB batches, 5 ms linger, 32 MiB buffer memory, acks=all), a new producer per run.",
        ["FasterLog"] = "Microsoft.FASTER.Core 2.6.5: " + FasterLogHarness.SettingsDescription,
        ["SQLite"] = SqliteStore.Settings,
        ["FileStream"] = "FileStream(bufferSize: 0), the payload only in 1 MiB write(2)s, Flush(flushToDisk: true) at the end; " +
            "'+ write-behind' also calls sync_file_range(SYNC_FILE_RANGE_WRITE) on each finished 8 MiB",
        ["Run"] = $"one process; per workload {o.WarmupRounds} warm-up round(s) of a tenth of the records, then {o.Rounds} measured round(s), " +
            "the systems' order rotated each round; figures are the median round; every append workload ends durable (fsync/commit) for every system; " +
            "MB/s counts user payload (records x value size); allocation is GC.GetTotalAllocatedBytes(precise) over the run (all threads)",
    };

    private static string GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true });
            string? commit = git?.StandardOutput.ReadToEnd().Trim();
            git?.WaitForExit();
            return string.IsNullOrEmpty(commit) ? "unknown commit" : "commit " + commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown commit";
        }
    }
}
