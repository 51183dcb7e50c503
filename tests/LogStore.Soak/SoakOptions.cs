using System.CommandLine;

namespace LogStore.Soak;

/// <summary>
/// The soak's command line, on System.CommandLine (as the logstore tool's): <c>--kills N --power-losses P
/// --fuzz-seconds S --linearizability-rounds R --seed X</c>, and the <c>--short</c> preset (CI) whose values any of
/// those options override. See tests/RELIABILITY.md, "Soak tool".
/// </summary>
internal sealed record SoakOptions(int Kills, int PowerLosses, int FuzzSeconds, int LinearizabilityRounds, int Seed, bool Short)
{
    /// <summary>The long setting: 250 kills (50 per crash-loop mode), 200 power losses, 3 minutes of fuzzing, 30
    /// linearizability rounds.</summary>
    private static readonly SoakOptions s_long = new(250, 200, 180, 30, 0, Short: false);

    /// <summary>The CI setting (<c>--short</c>): 25 kills, 20 power losses, 20 s of fuzzing, 5 rounds.</summary>
    private static readonly SoakOptions s_short = new(25, 20, 20, 5, 5, Short: true);

    /// <summary>The root command: <paramref name="run"/> with the parsed options; its exit code is the program's.</summary>
    public static RootCommand Command(Func<SoakOptions, CancellationToken, Task<int>> run)
    {
        var isShort = new Option<bool>("--short") { Description = "The CI preset: 25 kills, 20 power losses, 20 s of fuzzing, 5 rounds, seed 5 (default: 250 kills, 200 power losses, 180 s, 30 rounds, a seed from the clock)" };
        var kills = Count("--kills", "SIGKILLs in all, spread over the crash loop's modes (0 skips it)");
        var powerLosses = Count("--power-losses", "Simulated power losses in all, spread over the power-loss cases (0 skips them)");
        var fuzzSeconds = Count("--fuzz-seconds", "Seconds of RecordBatch fuzzing (0 skips it)");
        var rounds = Count("--linearizability-rounds", "Concurrency rounds (0 skips them)");
        var seed = Count("--seed", "The seed every step derives its own from (printed, to reproduce a run)");
        var root = new RootCommand("The reliability soak: the crash loop in every mode, simulated power losses, RecordBatch fuzzing and linearizability rounds, then a summary.")
        {
            isShort, kills, powerLosses, fuzzSeconds, rounds, seed,
        };
        root.SetAction((parsed, cancellationToken) =>
        {
            SoakOptions options = parsed.GetValue(isShort) ? s_short : s_long with { Seed = Environment.TickCount & int.MaxValue };
            options = options with
            {
                Kills = parsed.GetResult(kills) is null ? options.Kills : parsed.GetValue(kills),
                PowerLosses = parsed.GetResult(powerLosses) is null ? options.PowerLosses : parsed.GetValue(powerLosses),
                FuzzSeconds = parsed.GetResult(fuzzSeconds) is null ? options.FuzzSeconds : parsed.GetValue(fuzzSeconds),
                LinearizabilityRounds = parsed.GetResult(rounds) is null ? options.LinearizabilityRounds : parsed.GetValue(rounds),
                Seed = parsed.GetResult(seed) is null ? options.Seed : parsed.GetValue(seed),
            };
            return run(options, cancellationToken);
        });
        return root;
    }

    private static Option<int> Count(string name, string description)
    {
        var option = new Option<int>(name) { Description = description, HelpName = "N" };
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.GetValueOrDefault<int>() < 0)
                r.AddError($"{name} takes a non-negative number, not '{r.Tokens[0].Value}'.");
        });
        return option;
    }

    public override string ToString() =>
        $"--kills {Kills} --power-losses {PowerLosses} --fuzz-seconds {FuzzSeconds} --linearizability-rounds {LinearizabilityRounds} --seed {Seed}";
}
