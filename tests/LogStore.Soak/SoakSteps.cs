using System.Diagnostics;
using LogStore.Tests.Protocol;
using LogStore.Tests.Reliability;
using LogStore.Tests.Reliability.Fuzzing;

namespace LogStore.Soak;

/// <summary>
/// The soak's steps, each a long run of a reliability suite's own loop and checks. A step's failure (an NUnit
/// assertion, a <see cref="FuzzFailure"/>, any exception) is printed and recorded; the next step still runs.
/// </summary>
internal static class SoakSteps
{
    /// <summary>Most acknowledgements (commits in the consume mode) a child makes before its kill, per mode: long
    /// enough runs for rolls, retention and cleaning to happen between kills.</summary>
    private static readonly Dictionary<string, int> s_maxProgressBetweenKills = new(StringComparer.Ordinal)
    {
        ["producer"] = 400,
        ["roll"] = 80,
        ["retention"] = 200,
        ["compact"] = 200,
        ["consume"] = 100,
    };

    private static readonly TimeSpan s_roundTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Kills of a mode (or power losses of a case) from which its effects (rolls, commits) must show.</summary>
    private const int MinKillsToCheckExercised = 5;

    /// <summary>Records each producer of a linearizability round sends (4 producers, 3 partitions).</summary>
    private const int RecordsPerProducer = 1000;

    /// <summary>The crash loop in every mode, <see cref="SoakOptions.Kills"/> spread evenly over them.</summary>
    public static async Task CrashLoopAsync(SoakOptions options, SoakSummary summary, CancellationToken cancellationToken)
    {
        string[] modes = CrashLoopRunner.Modes;
        for (int m = 0; m < modes.Length && !cancellationToken.IsCancellationRequested; m++)
        {
            int kills = options.Kills / modes.Length + (m < options.Kills % modes.Length ? 1 : 0);
            if (kills == 0)
                continue;
            int seed = unchecked(options.Seed * 31 + m);
            await RunAsync($"crash loop '{modes[m]}' (seed {seed})", summary, async () =>
            {
                CrashLoopFigures figures = await CrashLoopRunner.RunAsync(modes[m], kills, s_maxProgressBetweenKills[modes[m]], seed,
                    Console.WriteLine, cancellationToken);
                // A handful of kills may all land before the first roll: too few to ask for the mode's effects.
                if (kills >= MinKillsToCheckExercised)
                    CrashLoopRunner.AssertModeExercised(figures, warning => Console.WriteLine("  warning: " + warning));
                summary.Add(figures);
                return figures.ToString();
            });
        }
    }

    /// <summary>The power-loss loop in every case, <see cref="SoakOptions.PowerLosses"/> spread evenly over them, up to
    /// 40 appends apart.</summary>
    public static async Task PowerLossAsync(SoakOptions options, SoakSummary summary, CancellationToken cancellationToken)
    {
        var cases = PowerLossRun.Cases;
        for (int k = 0; k < cases.Length && !cancellationToken.IsCancellationRequested; k++)
        {
            int losses = options.PowerLosses / cases.Length + (k < options.PowerLosses % cases.Length ? 1 : 0);
            if (losses == 0)
                continue;
            int seed = unchecked(options.Seed * 131 + k);
            (string mode, bool byHand) = cases[k];
            await RunAsync($"power loss '{mode}'{(byHand ? ", flushed by hand" : "")} (seed {seed})", summary, async () =>
            {
                PowerLossFigures figures = await PowerLossRun.RunAsync(mode, byHand, losses, maxAppendsBetween: 40, seed, cancellationToken);
                if (losses >= MinKillsToCheckExercised)
                    PowerLossRun.AssertExercised(figures);
                summary.Add(figures);
                return figures.ToString();
            });
        }
    }

    /// <summary>The RecordBatch fuzzer for <see cref="SoakOptions.FuzzSeconds"/> on every core.</summary>
    public static void Fuzz(SoakOptions options, SoakSummary summary, CancellationToken cancellationToken)
    {
        if (options.FuzzSeconds == 0 || cancellationToken.IsCancellationRequested)
            return;
        int threads = Math.Clamp(Environment.ProcessorCount, 1, 8);
        RunAsync($"fuzz (seed {options.Seed}, {threads} threads)", summary, () =>
        {
            FuzzFigures figures = BatchFuzzer.Run(long.MaxValue, (ulong)options.Seed, TimeSpan.FromSeconds(options.FuzzSeconds), threads, cancellationToken);
            summary.Fuzz = figures;
            return Task.FromResult(figures.ToString());
        }).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The Kafka request decoder's fuzzer (issue 14): a million frames, a hundred thousand with <c>--short</c>; skipped
    /// with the RecordBatch fuzzer when <c>--fuzz-seconds 0</c>.
    /// </summary>
    public static void RequestFuzz(SoakOptions options, SoakSummary summary, CancellationToken cancellationToken)
    {
        if (options.FuzzSeconds == 0 || cancellationToken.IsCancellationRequested)
            return;
        int threads = Math.Clamp(Environment.ProcessorCount, 1, 8);
        long frames = options.Short ? 100_000 : 1_000_000;
        RunAsync($"request fuzz (seed {options.Seed}, {threads} threads)", summary, () =>
        {
            RequestFuzzFigures figures = RequestFuzzer.Run(frames, options.Seed, threads, cancellationToken);
            summary.RequestFuzz = figures;
            return Task.FromResult(figures.ToString());
        }).GetAwaiter().GetResult();
    }

    /// <summary><see cref="SoakOptions.LinearizabilityRounds"/> linearizability rounds, each with its own seed.</summary>
    public static async Task LinearizabilityAsync(SoakOptions options, SoakSummary summary, CancellationToken cancellationToken)
    {
        for (int round = 0; round < options.LinearizabilityRounds && !cancellationToken.IsCancellationRequested; round++)
        {
            int seed = unchecked(options.Seed * 7919 + round);
            bool passed = await RunAsync($"linearizability round {round + 1}/{options.LinearizabilityRounds} (seed {seed})", summary, async () =>
            {
                // A round takes about a second: one still running after s_roundTimeout is stuck (a consumer that never
                // reaches the log end), which is a failure, not a wait.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(s_roundTimeout);
                LinearizabilityFigures figures = await LinearizabilityRun.RunAsync(RecordsPerProducer, seed, timeout.Token);
                summary.Add(figures);
                return figures.ToString();
            });
            if (!passed)
                break;
        }
    }

    private static async Task<bool> RunAsync(string step, SoakSummary summary, Func<Task<string>> run)
    {
        Console.WriteLine($"{step}: running");
        var clock = Stopwatch.StartNew();
        try
        {
            string figures = await run();
            Console.WriteLine($"{step}: passed, {figures}");
            return true;
        }
        catch (OperationCanceledException)
        {
            summary.Failures.Add($"{step}: cancelled or timed out after {clock.Elapsed.TotalSeconds:F0} s");
            Console.WriteLine($"{step}: cancelled or timed out");
        }
#pragma warning disable CA1031 // any exception is the step's failure, reported with the seed that reproduces it
        catch (Exception e)
#pragma warning restore CA1031
        {
            summary.Failures.Add($"{step}: FAILED after {clock.Elapsed.TotalSeconds:F0} s: {e.Message}");
            Console.WriteLine($"{step}: FAILED");
            Console.WriteLine(e);
        }
        return false;
    }
}
