using System.Globalization;

namespace LogStore.Compare;

/// <summary>
/// The command line. The defaults are issue 6's real counts; <c>--quick</c> scales every workload down to a few
/// seconds in all (a CI smoke run: it proves every system and workload runs, its figures are not the results).
/// </summary>
internal sealed class CompareOptions
{
    public const string Usage = """
        LogStore.Compare: LogStore vs FasterLog vs SQLite vs a raw FileStream, interleaved in one process run.

        dotnet run -c Release --project benchmarks/LogStore.Compare -- [options]
        dotnet run -c Release --project benchmarks/LogStore.Compare -- chart <results.json> <chart.png>
        dotnet run -c Release --project benchmarks/LogStore.Compare -- markdown <results.json>   (RESULTS.md section)

          --quick               CI smoke run: small counts, one measured round (seconds)
          --records N           records of the small-record workloads 1, 3, 4, 5 (default 10,000,000);
                                workload 2 writes N/5 records of 1 KiB (default 2,000,000)
          --size BYTES          record size of workloads 1, 3, 4, 5 (default 100)
          --workloads LIST      which workloads, e.g. 1,2,6 (default 1-7):
                                1 append 100 B, 2 append 1 KiB, 3 read back, 4 append + fsync every 1 MiB,
                                5 4 partitions / 2 writer threads, 6 random reads by offset, 7 open 10,000 segments
          --rounds N            measured rounds after the warm-up round (default 3)
          --systems LIST        only the systems whose names contain one of these words, e.g. LogStore,FasterLog
                                (for profiling one system; the ratios need the LogStore row)
          --random-logs LIST    log sizes for workload 6 (default 1000000,50000000)
          --lookups N           random reads per log size (default 100,000)
          --segments N          segments for workload 7 (default 10,000)
          --batch-bytes N       LogStore's batch size on the partition path (default 16384, Kafka's batch.size);
                                an experiment knob: larger batches mean fewer write(2)s per MiB
          --dir PATH            where the data directories go (default /tmp; the real disk, not tmpfs)
          --out FILE            write the results as JSON (and the Markdown tables beside it, FILE.md)
          --chart FILE          render a PNG bar chart of the results
        """;

    public bool Quick { get; private set; }

    public long Records { get; private set; } = 10_000_000;

    public int Size { get; private set; } = 100;

    public long LargeRecords { get; private set; } = 2_000_000;

    public int LargeSize { get; private set; } = 1024;

    public int Rounds { get; private set; } = 3;

    public long[] RandomLogs { get; private set; } = [1_000_000, 50_000_000];

    public int Lookups { get; private set; } = 100_000;

    public int Segments { get; private set; } = 10_000;

    public SortedSet<int> Workloads { get; private set; } = [1, 2, 3, 4, 5, 6, 7];

    public string DataRoot { get; private set; } = "/tmp";

    public int BatchBytes { get; private set; } = 16 * 1024;

    /// <summary>--systems: name fragments; empty means every system.</summary>
    public string[] Systems { get; private set; } = [];

    /// <summary>Whether a system takes part (see --systems).</summary>
    public bool Includes(string system) =>
        Systems.Length == 0 || Systems.Any(s => system.Contains(s, StringComparison.OrdinalIgnoreCase));

    public string? Out { get; private set; }

    public string? Chart { get; private set; }

    /// <summary>The arguments as given, for the report.</summary>
    public string CommandLine { get; private set; } = "";

    /// <summary>Records of the warm-up round: a tenth, enough for the JIT's tier-1 code and the disk's first writes.</summary>
    public long WarmupRecords(long records) => Math.Min(records, Math.Max(records / 10, 10_000));

    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static CompareOptions Parse(string[] args)
    {
        var options = new CompareOptions { CommandLine = string.Join(' ', args) };
        bool recordsGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--quick":
                    options.Quick = true;
                    break;
                case "--records":
                    options.Records = PositiveLong(arg, Next());
                    recordsGiven = true;
                    break;
                case "--size":
                    options.Size = (int)PositiveLong(arg, Next());
                    break;
                case "--rounds":
                    options.Rounds = (int)PositiveLong(arg, Next());
                    break;
                case "--workloads":
                    options.Workloads = [.. List(arg, Next()).Select(w => w is >= 1 and <= 7 ? (int)w : throw new ArgumentException($"There is no workload {w} (1-7)."))];
                    break;
                case "--random-logs":
                    options.RandomLogs = [.. List(arg, Next())];
                    break;
                case "--lookups":
                    options.Lookups = (int)PositiveLong(arg, Next());
                    break;
                case "--segments":
                    options.Segments = (int)PositiveLong(arg, Next());
                    break;
                case "--systems":
                    options.Systems = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--batch-bytes":
                    options.BatchBytes = (int)PositiveLong(arg, Next());
                    break;
                case "--dir":
                    options.DataRoot = Next();
                    break;
                case "--out":
                    options.Out = Next();
                    break;
                case "--chart":
                    options.Chart = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown option {arg}.");
            }
        }
        if (options.Quick)
        {
            if (!recordsGiven)
                options.Records = 200_000;
            options.Rounds = 1;
            options.RandomLogs = [20_000, 400_000];
            options.Lookups = 5_000;
            options.Segments = 300;
        }
        options.LargeRecords = Math.Max(1, options.Records / 5);
        return options;
    }

    private static long PositiveLong(string option, string value) =>
        long.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0
            ? n
            : throw new ArgumentException($"{option} needs a positive integer, not '{value}'.");

    private static IEnumerable<long> List(string option, string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => PositiveLong(option, v));
}
