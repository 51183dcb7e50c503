using System.CommandLine;

namespace LogStore.ReplicationBench;

/// <summary>The program's settings; <c>--short</c> scales every count down to a smoke run of under a minute.</summary>
internal sealed class BenchOptions
{
    public static readonly string[] AllBenches = ["throughput", "catchup", "latency", "failover"];

    public bool Short { get; private init; }

    public int Rounds { get; private init; }

    public long SmallRecords { get; private init; }

    public long LargeRecords { get; private init; }

    public long CatchUpBytes { get; private init; }

    public int CatchUpRounds { get; private init; }

    public int Rate { get; private init; }

    public int LatencySeconds { get; private init; }

    public int Failovers { get; private init; }

    public string[] Benches { get; private init; } = AllBenches;

    public string DataRoot { get; private init; } = "/tmp";

    public string? Out { get; private init; }

    public string CommandLine { get; private init; } = "";

    public static RootCommand Command(string[] args, Func<BenchOptions, Task<int>> run)
    {
        var isShort = new Option<bool>("--short") { Description = "Smoke run: small counts, one round, two failovers (under a minute)" };
        var rounds = new Option<int>("--rounds") { Description = "Measured throughput rounds after the warm-up (default 3)", HelpName = "N" };
        var records = new Option<long>("--records") { Description = "100 B records per throughput trial (default 1,000,000); 1 KiB trials write a quarter as many", HelpName = "N" };
        var catchUp = new Option<int>("--catchup-mib") { Description = "MiB the follower catches up (default 1024)", HelpName = "MIB" };
        var catchUpRounds = new Option<int>("--catchup-rounds") { Description = "Catch-up rounds (default 2)", HelpName = "N" };
        var rate = new Option<int>("--rate") { Description = "Records/s of the latency run (default 10,000)", HelpName = "N" };
        var seconds = new Option<int>("--latency-seconds") { Description = "Seconds of each latency run (default 5)", HelpName = "S" };
        var failovers = new Option<int>("--failovers") { Description = "Failover rounds (default 10)", HelpName = "N" };
        var only = new Option<string[]>("--only")
        {
            Description = "Only these, comma-separated: throughput, catchup, latency, failover",
            HelpName = "LIST",
            CustomParser = r => r.Tokens.Count == 1 ? r.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : AllBenches,
        };
        var dir = new Option<string>("--dir") { Description = "Where the nodes' data directories go (a real disk)", DefaultValueFactory = _ => "/tmp", HelpName = "PATH" };
        var output = new Option<string?>("--out") { Description = "Also write the Markdown report to this file", HelpName = "FILE" };
        var root = new RootCommand("LogStore.ReplicationBench: three Brokers in one process as a cluster on loopback TCP (issue 15's replication benchmarks).")
        {
            isShort, rounds, records, catchUp, catchUpRounds, rate, seconds, failovers, only, dir, output,
        };
        root.SetAction(parsed =>
        {
            bool s = parsed.GetValue(isShort);
            T Pick<T>(Option<T> option, T full, T smoke) => parsed.GetResult(option) is not null ? parsed.GetValue(option)! : s ? smoke : full;
            long small = Pick(records, 1_000_000L, 100_000L);
            var options = new BenchOptions
            {
                CommandLine = string.Join(' ', args),
                Short = s,
                Rounds = Pick(rounds, 3, 1),
                SmallRecords = small,
                LargeRecords = Math.Max(1, small / 4),
                CatchUpBytes = Pick(catchUp, 1024, 64) * (1L << 20),
                CatchUpRounds = Pick(catchUpRounds, 2, 1),
                Rate = Pick(rate, 10_000, 10_000),
                LatencySeconds = Pick(seconds, 5, 2),
                Failovers = Pick(failovers, 10, 2),
                Benches = parsed.GetResult(only) is null ? AllBenches : parsed.GetValue(only)!,
                DataRoot = parsed.GetValue(dir)!,
                Out = parsed.GetValue(output),
            };
            foreach (string bench in options.Benches)
            {
                if (!AllBenches.Contains(bench))
                    throw new ArgumentException($"There is no benchmark '{bench}' (throughput, catchup, latency, failover).");
            }
            return run(options).GetAwaiter().GetResult();
        });
        return root;
    }
}
