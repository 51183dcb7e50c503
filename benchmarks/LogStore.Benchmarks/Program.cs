using BenchmarkDotNet.Running;

namespace LogStore.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- --filter '*Append*'</c>.
/// Without <c>--job</c> every class runs BenchmarkDotNet's default job (real runs); add <c>--job short</c>
/// (1 launch, 3 warm-ups, 3 iterations) for a quick CI-like check, <c>--ci</c> for the shortest real measurement
/// (<see cref="CiJob"/>: 1 launch, 1 warm-up, 3 iterations), or <c>--job dry</c> for a smoke test.
/// See benchmarks/RESULTS.md for the commands and the figures.
/// </summary>
public static class Program
{
    /// <summary>Runs the BenchmarkDotNet classes (with <c>--ci</c>, the short CI job), or with a first argument
    /// <c>restart</c> the restart-time benchmark (see <see cref="RestartBenchmark"/>; <c>restart-child</c> is its
    /// killed child), or <c>many-partitions</c> the many-partitions benchmark (see <see cref="ManyPartitionsBenchmark"/>;
    /// <c>many-partitions-child</c> is its killed child), or <c>kafka-listener</c> Confluent.Kafka against the listener
    /// (see <see cref="KafkaListenerBenchmark"/>), or <c>page-cache</c> what the size of a write does to
    /// later reads (see <see cref="PageCacheBenchmark"/>).</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "restart")
            return RestartBenchmark.Run(args[1..]);
        if (args.Length > 0 && args[0] == "restart-child")
            return RestartBenchmark.Child(args[1..]);
        if (args.Length > 0 && args[0] == "many-partitions")
            return ManyPartitionsBenchmark.Run(args[1..]);
        if (args.Length > 0 && args[0] == "many-partitions-child")
            return ManyPartitionsBenchmark.Child(args[1..]);
        if (args.Length > 0 && args[0] == "kafka-listener")
            return KafkaListenerBenchmark.Run(args[1..]);
        if (args.Length > 0 && args[0] == "page-cache")
            return PageCacheBenchmark.Run(args[1..]);
        BenchmarkSwitcher switcher = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly);
        if (args.Contains(CiJob.Flag))
            switcher.Run([.. args.Where(a => a != CiJob.Flag)], CiJob.Config);
        else
            switcher.Run(args);
        return 0;
    }
}
