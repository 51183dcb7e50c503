using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace LogStore.Benchmarks;

/// <summary>
/// <c>--ci</c>: one launch, one warm-up and three measured iterations per case (the class attributes' iteration
/// bounds do not apply once the counts are fixed). It proves that every benchmark runs and gives rough figures in
/// minutes; real figures come from the default job (no <c>--ci</c>, no <c>--job</c>). See benchmarks/RESULTS.md.
/// </summary>
public static class CiJob
{
    public const string Flag = "--ci";

    public static IConfig Config { get; } = DefaultConfig.Instance.AddJob(
        Job.Default.WithId("CI").WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3));
}
