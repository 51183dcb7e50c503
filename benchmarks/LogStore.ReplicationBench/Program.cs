using System.Diagnostics;

namespace LogStore.ReplicationBench;

/// <summary>
/// Issue 15's replication benchmarks: three Brokers in this process as a cluster on loopback TCP, measured through the
/// public API as an application uses it. See <c>--help</c> and benchmarks/RESULTS.md "Replication benchmarks".
/// </summary>
internal static class Program
{
    public static int Main(string[] args) => BenchOptions.Command(args, RunAsync).Parse(args).Invoke();

    private static async Task<int> RunAsync(BenchOptions options)
    {
        string root = Path.Combine(options.DataRoot, $"logstore-rbench-{Environment.ProcessId}");
        var report = new Report();
        var started = DateTimeOffset.UtcNow;
        string load = LoadAverage();
        Report.Log($"data in {root}");
        // The whole run is bounded: a stuck cluster fails it rather than hanging.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(options.Short ? 3 : 40));
        try
        {
            long opening = Stopwatch.GetTimestamp();
            await using (LoopbackCluster cluster = await LoopbackCluster.StartAsync(root, limit.Token, line => Report.Log($"{line}")))
            {
                Report.Log($"three nodes open in {Stopwatch.GetElapsedTime(opening).TotalSeconds:0.0} s");
                if (options.Benches.Contains("throughput"))
                    await new ThroughputBench(cluster, options, report).RunAsync(limit.Token);
                if (options.Benches.Contains("catchup"))
                    await new CatchUpBench(cluster, options, report).RunAsync(limit.Token);
                if (options.Benches.Contains("latency"))
                    await new LatencyBench(cluster, options, report).RunAsync(limit.Token);
                if (options.Benches.Contains("failover"))
                    await new FailoverBench(cluster, options, report).RunAsync(limit.Token);
            }
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
        string header = $"`dotnet run -c Release --project benchmarks/LogStore.ReplicationBench --{(options.CommandLine.Length > 0 ? " " + options.CommandLine : "")}` " +
            $"at {GitCommit()}, {started:yyyy-MM-dd HH:mm}–{DateTimeOffset.UtcNow:HH:mm} UTC, {Environment.ProcessorCount} cores, " +
            $"load average {load} at the start and {LoadAverage()} at the end.\n";
        string markdown = header + report;
        Console.WriteLine(markdown);
        if (options.Out is not null)
            await File.WriteAllTextAsync(options.Out, markdown);
        return 0;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

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
