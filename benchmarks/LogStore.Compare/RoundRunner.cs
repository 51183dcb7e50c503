using System.Globalization;

namespace LogStore.Compare;

/// <summary>
/// Runs a throughput workload's systems interleaved: <see cref="CompareOptions.WarmupRounds"/> warm-up rounds (a tenth
/// of the records each, not counted), then <see cref="CompareOptions.Rounds"/> rounds in which every system runs once,
/// the order rotated each round so that no system always follows the same neighbour (a neighbour's deleted files or
/// writeback can slow the next run). Each system's figure is the median of its rounds, so all systems see the same
/// machine noise.
/// </summary>
internal sealed class RoundRunner(CompareOptions options)
{
    public int Steps(IEnumerable<Contestant> contestants) => Steps(contestants.Select(c => c.System));

    public int Steps(IEnumerable<string> systems) => systems.Count(options.Includes) * (options.Rounds + options.WarmupRounds);

    public WorkloadResult Run(ProgressSink progress, string id, string title, string baseline, IReadOnlyList<Contestant> contestants,
        long records, int recordSize, long? warmupRecords = null)
    {
        contestants = [.. contestants.Where(c => options.Includes(c.System))];
        long warm = warmupRecords ?? options.WarmupRecords(records);
        var samples = contestants.ToDictionary(c => c.System, _ => new List<Sample>());
        for (int round = 1 - options.WarmupRounds; round <= options.Rounds; round++)
        {
            bool warmup = round <= 0;
            for (int k = 0; k < contestants.Count; k++)
            {
                Contestant contestant = contestants[(k + round + options.WarmupRounds) % contestants.Count];
                progress.Status($"W{id} {title}: {(warmup ? "warm-up" : $"round {round}/{options.Rounds}")}, {contestant.System}");
                Sample sample;
                using (ITrial trial = contestant.Prepare(warmup ? warm : records))
                    sample = Meter.Measure(trial.Run);
                long n = warmup ? warm : records;
                progress.Log(string.Create(CultureInfo.InvariantCulture,
                    $"  W{id} {(warmup ? "warm-up" : $"round {round}")} {contestant.System,-28} {sample.Seconds,8:0.000} s  {n / sample.Seconds / 1e6,7:0.00} M rec/s  {n * (double)recordSize / sample.Seconds / 1e6,7:0} MB/s  {sample.AllocatedBytes / 1e6,8:0.0} MB alloc"));
                if (!warmup)
                    samples[contestant.System].Add(sample);
                progress.Step();
            }
        }
        var result = new WorkloadResult { Id = id, Title = title, Baseline = baseline };
        foreach (Contestant contestant in contestants)
        {
            List<Sample> rounds = samples[contestant.System];
            Sample median = Meter.Median(rounds);
            result.Systems.Add(new SystemResult
            {
                System = contestant.System,
                Method = contestant.Method,
                Records = records,
                PayloadBytes = records * recordSize,
                Seconds = median.Seconds,
                AllocatedBytes = median.AllocatedBytes,
                ThreadAllocatedBytes = median.ThreadAllocatedBytes,
                RoundSeconds = [.. rounds.Select(r => r.Seconds)],
            });
        }
        return result.WithRatios();
    }
}
