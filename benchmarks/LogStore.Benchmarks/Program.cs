using BenchmarkDotNet.Running;

namespace LogStore.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- --filter '*Append*'</c>.
/// Without <c>--job</c> every class runs BenchmarkDotNet's default job (real runs); add <c>--job short</c>
/// (1 launch, 3 warm-ups, 3 iterations) for a quick CI-like check, or <c>--job dry</c> for a smoke test.
/// See benchmarks/RESULTS.md for the commands and the figures.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
