using System.Globalization;

namespace LogStore.Soak;

/// <summary>
/// The soak's command line: <c>--kills N --power-losses P --fuzz-seconds S --linearizability-rounds R --seed X</c>, and
/// the <c>--short</c> preset (CI) whose values any of those options override. See tests/RELIABILITY.md, "Soak tool".
/// </summary>
internal sealed record SoakOptions(int Kills, int PowerLosses, int FuzzSeconds, int LinearizabilityRounds, int Seed, bool Short)
{
    /// <summary>The long setting: 250 kills (50 per crash-loop mode), 200 power losses (50 per case), 3 minutes of
    /// fuzzing, 30 linearizability rounds.</summary>
    private static readonly SoakOptions s_long = new(250, 200, 180, 30, 0, Short: false);

    /// <summary>The CI setting (<c>--short</c>): 25 kills, 20 power losses, 20 s of fuzzing, 5 rounds; well under 2
    /// minutes on 2 cores.</summary>
    private static readonly SoakOptions s_short = new(25, 20, 20, 5, 5, Short: true);

    public const string Usage =
        "usage: LogStore.Soak [--short] [--kills N] [--power-losses P] [--fuzz-seconds S] [--linearizability-rounds R] [--seed X]\n" +
        "  --short                      the CI preset: 25 kills, 20 power losses, 20 s of fuzzing, 5 rounds, seed 5\n" +
        "                               (default: 250 kills, 200 power losses, 180 s, 30 rounds, a seed from the clock)\n" +
        "  --kills N                    SIGKILLs in all, spread over the crash loop's modes (0 skips it)\n" +
        "  --power-losses P             simulated power losses in all, spread over the power-loss cases (0 skips them)\n" +
        "  --fuzz-seconds S             seconds of RecordBatch fuzzing (0 skips it)\n" +
        "  --linearizability-rounds R   concurrency rounds (0 skips them)\n" +
        "  --seed X                     the seed every step derives its own from (printed, to reproduce a run)";

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> with the reason when they are
    /// not valid.</summary>
    public static SoakOptions Parse(string[] args)
    {
        bool isShort = args.Contains("--short");
        SoakOptions options = isShort ? s_short : s_long with { Seed = Environment.TickCount & int.MaxValue };
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--short")
                continue;
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{name} needs a value or is not an option.");
            int value = Number(name, args[++i]);
            options = name switch
            {
                "--kills" => options with { Kills = value },
                "--power-losses" => options with { PowerLosses = value },
                "--fuzz-seconds" => options with { FuzzSeconds = value },
                "--linearizability-rounds" => options with { LinearizabilityRounds = value },
                "--seed" => options with { Seed = value },
                _ => throw new ArgumentException($"unknown option {name}."),
            };
        }
        return options;
    }

    private static int Number(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"{name} takes a non-negative number, not '{text}'.");

    public override string ToString() =>
        $"--kills {Kills} --power-losses {PowerLosses} --fuzz-seconds {FuzzSeconds} --linearizability-rounds {LinearizabilityRounds} --seed {Seed}";
}
