using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LogStore.Compare;

/// <summary>
/// The command line, on System.CommandLine (as the logstore tool's): the run's options, and the <c>chart</c> and
/// <c>markdown</c> commands that redraw a run from its JSON. The defaults are issue 6's real counts; <c>--quick</c>
/// scales every workload down to a few seconds in all (a CI smoke run: it proves every system and workload runs, its
/// figures are not the results).
/// </summary>
internal sealed class CompareOptions
{
    public bool Quick { get; private init; }

    public long Records { get; private set; } = 10_000_000;

    public int Size { get; private init; } = 100;

    public long LargeRecords { get; private set; } = 2_000_000;

    public int LargeSize { get; private init; } = 1024;

    public int Rounds { get; private set; } = 3;

    public long[] RandomLogs { get; private set; } = [1_000_000, 50_000_000];

    public int Lookups { get; private set; } = 100_000;

    public int Segments { get; private set; } = 10_000;

    /// <summary>Workload 8's writer rates, records/s.</summary>
    public int[] LatencyRates { get; private set; } = [100_000];

    /// <summary>Workload 8's measured seconds per system and rate (after three warm-up seconds).</summary>
    public double LatencySeconds { get; private set; } = 5;

    public SortedSet<int> Workloads { get; private init; } = [1, 2, 3, 4, 5, 6, 7, 8];

    public string DataRoot { get; private init; } = "/tmp";

    public int BatchBytes { get; private init; } = 16 * 1024;

    /// <summary>--bulk-load: the LogStore logs that workloads 3 and 6 read are written with 1 MiB appends (0: a batch per append).</summary>
    public int LoadAppendBytes { get; private init; }

    /// <summary>--systems: name fragments; empty means every system.</summary>
    public string[] Systems { get; private init; } = [];

    /// <summary>Whether a system takes part (see --systems).</summary>
    public bool Includes(string system) =>
        Systems.Length == 0 || Systems.Any(s => system.Contains(s, StringComparison.OrdinalIgnoreCase));

    public string? Out { get; private init; }

    public string? Chart { get; private init; }

    /// <summary>The arguments as given, for the report.</summary>
    public string CommandLine { get; private init; } = "";

    /// <summary>Warm-up rounds before the measured ones. Each system's driver loop runs once a round, and tiered PGO kept
    /// such a loop in its instrumented tier for its second and third calls: with one warm-up round those were measured
    /// rounds (RESULTS.md, 2026-12-07).</summary>
    public int WarmupRounds => Quick ? 1 : 3;

    /// <summary>Records of a warm-up round: a tenth, enough for the JIT's tier-1 code and the disk's first writes.</summary>
    public long WarmupRecords(long records) => Math.Min(records, Math.Max(records / 10, 10_000));

    /// <summary>The root command: <paramref name="run"/> with the parsed options, or the chart and markdown commands.</summary>
    public static RootCommand Command(string[] args, Action<CompareOptions> run, Action<string, string> chart, Action<string> markdown)
    {
        var quick = new Option<bool>("--quick") { Description = "CI smoke run: small counts, one measured round (seconds)" };
        var records = Positive(new Option<long>("--records") { Description = "Records of the small-record workloads 1, 3, 4, 5 (default 10,000,000); workload 2 writes N/5 records of 1 KiB", HelpName = "N" });
        var size = Positive(new Option<int>("--size") { Description = "Record size of workloads 1, 3, 4, 5", DefaultValueFactory = _ => 100, HelpName = "BYTES" });
        var workloads = new Option<int[]>("--workloads")
        {
            Description = "Which workloads (default 1-8): 1 append 100 B, 2 append 1 KiB, 3 read back, 4 append + fsync every 1 MiB, " +
                "5 4 partitions / 2 writer threads, 6 random reads by offset, 7 open 10,000 segments, 8 end-to-end latency",
            HelpName = "LIST",
            CustomParser = r => [.. CommaList(r).Select(w => w is >= 1 and <= 8 ? (int)w : Fail<int>(r, $"There is no workload {w} (1-8)."))],
        };
        var rounds = Positive(new Option<int>("--rounds") { Description = "Measured rounds after the warm-up rounds (three; one with --quick)", DefaultValueFactory = _ => 3, HelpName = "N" });
        var systems = new Option<string[]>("--systems")
        {
            Description = "Only the systems whose names contain one of these words, e.g. LogStore,FasterLog (the ratios need the LogStore row)",
            HelpName = "LIST",
            CustomParser = r => r.Tokens.Count == 1 ? r.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [],
        };
        var randomLogs = new Option<long[]>("--random-logs") { Description = "Log sizes for workload 6 (default 1000000,50000000)", HelpName = "LIST", CustomParser = r => [.. CommaList(r)] };
        var lookups = Positive(new Option<int>("--lookups") { Description = "Random reads per log size (default 100,000)", HelpName = "N" });
        var latencyRates = new Option<long[]>("--latency-rates") { Description = "Writer rates of workload 8, records/s (default 100000)", HelpName = "LIST", CustomParser = r => [.. CommaList(r)] };
        var latencySeconds = Positive(new Option<int>("--latency-seconds") { Description = "Measured seconds per system and rate in workload 8 (default 5)", HelpName = "N" });
        var segments = Positive(new Option<int>("--segments") { Description = "Segments for workload 7 (default 10,000)", HelpName = "N" });
        var batchBytes = Positive(new Option<int>("--batch-bytes")
        {
            Description = "LogStore's batch size on the partition path (Kafka's batch.size); an experiment knob",
            DefaultValueFactory = _ => 16 * 1024,
            HelpName = "N",
        });
        var bulkLoad = new Option<bool>("--bulk-load")
        {
            Description = "Write the LogStore logs that workloads 3 and 6 read with 1 MiB appends (Partition.AppendAsync of many) instead of a batch per append: the page cache then holds them in large pieces",
        };
        var dir = new Option<string>("--dir") { Description = "Where the data directories go (the real disk, not tmpfs)", DefaultValueFactory = _ => "/tmp", HelpName = "PATH" };
        var output = new Option<string?>("--out") { Description = "Write the results as JSON (and the Markdown tables beside it, FILE.md)", HelpName = "FILE" };
        var chartFile = new Option<string?>("--chart") { Description = "Render a PNG bar chart of the results", HelpName = "FILE" };

        var root = new RootCommand("LogStore.Compare: LogStore vs FasterLog vs SQLite vs a raw FileStream, interleaved in one process run.")
        {
            quick, records, size, workloads, rounds, systems, randomLogs, lookups, latencyRates, latencySeconds, segments, batchBytes, bulkLoad, dir, output, chartFile,
        };
        root.SetAction(parsed =>
        {
            bool isQuick = parsed.GetValue(quick);
            var options = new CompareOptions
            {
                CommandLine = string.Join(' ', args),
                Quick = isQuick,
                Size = parsed.GetValue(size),
                Workloads = parsed.GetResult(workloads) is null ? [1, 2, 3, 4, 5, 6, 7, 8] : [.. parsed.GetValue(workloads)!],
                Systems = parsed.GetValue(systems) ?? [],
                BatchBytes = parsed.GetValue(batchBytes),
                LoadAppendBytes = parsed.GetValue(bulkLoad) ? 1 << 20 : 0,
                DataRoot = parsed.GetValue(dir)!,
                Out = parsed.GetValue(output),
                Chart = parsed.GetValue(chartFile),
            };
            // --quick scales the counts down; an explicit --records still wins.
            options.Records = parsed.GetResult(records) is null ? (isQuick ? 200_000 : 10_000_000) : parsed.GetValue(records);
            options.Rounds = isQuick ? 1 : parsed.GetValue(rounds);
            // GetResult, not GetValue ?? default: the custom parser also runs when the option is absent and returns an
            // empty list, which ran workload 6 on no log at all.
            options.RandomLogs = isQuick ? [20_000, 400_000] : parsed.GetResult(randomLogs) is null ? [1_000_000, 50_000_000] : parsed.GetValue(randomLogs)!;
            options.Lookups = isQuick ? 5_000 : parsed.GetResult(lookups) is null ? 100_000 : parsed.GetValue(lookups);
            options.LatencyRates = isQuick ? [10_000] : parsed.GetResult(latencyRates) is null ? [100_000] : [.. parsed.GetValue(latencyRates)!.Select(r => (int)r)];
            options.LatencySeconds = isQuick ? 1 : parsed.GetResult(latencySeconds) is null ? 5 : parsed.GetValue(latencySeconds);
            options.Segments = isQuick ? 300 : parsed.GetResult(segments) is null ? 10_000 : parsed.GetValue(segments);
            options.LargeRecords = Math.Max(1, options.Records / 5);
            run(options);
        });

        var json = new Argument<string>("results.json") { Description = "A run's --out file" };
        var png = new Argument<string>("chart.png") { Description = "The PNG to write" };
        var chartCommand = new Command("chart", "Render the chart of a run from its JSON.") { json, png };
        chartCommand.SetAction(parsed => chart(parsed.GetValue(json)!, parsed.GetValue(png)!));
        root.Subcommands.Add(chartCommand);

        var results = new Argument<string>("results.json") { Description = "A run's --out file" };
        var markdownCommand = new Command("markdown", "Print a run's RESULTS.md section from its JSON.") { results };
        markdownCommand.SetAction(parsed => markdown(parsed.GetValue(results)!));
        root.Subcommands.Add(markdownCommand);
        return root;
    }

    private static Option<T> Positive<T>(Option<T> option) where T : struct, IComparable<T>
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.GetValueOrDefault<T>().CompareTo(default) <= 0)
                r.AddError($"{option.Name} needs a positive integer, not '{r.Tokens[0].Value}'.");
        });
        return option;
    }

    private static IEnumerable<long> CommaList(ArgumentResult result)
    {
        if (result.Tokens.Count != 1)
            return [];
        var values = new List<long>();
        foreach (string item in result.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (long.TryParse(item.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0)
                values.Add(n);
            else
                result.AddError($"a list of positive integers, not '{item}'.");
        }
        return values;
    }

    private static T Fail<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
