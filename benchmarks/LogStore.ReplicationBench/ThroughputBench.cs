namespace LogStore.ReplicationBench;

/// <summary>
/// Producer throughput on one partition, per record size: replication factor 3 with acks=all and with acks=leader,
/// and replication factor 1 with acks=all. The three cases of a size run interleaved: a warm-up round, then
/// <see cref="BenchOptions.Rounds"/> rounds, the order rotated each round, so all see the same machine noise; each
/// figure is the median round. Each trial writes to a new topic (created, and its replicas in sync, before the clock
/// starts) through a new producer on the partition's leader node.
/// </summary>
internal sealed class ThroughputBench(LoopbackCluster cluster, BenchOptions options, Report report)
{
    private sealed record Case(string Name, int ReplicationFactor, Acks Acks, int Producers = 1);

    // The fourth case splits the same records over four producers (four senders, each waiting for the high watermark
    // on its own): how much of the acks=all cost is one sender's wait rather than the replication itself.
    private static readonly Case[] Cases =
    [
        new("RF 3, acks=all", 3, Acks.All),
        new("RF 3, acks=leader", 3, Acks.Leader),
        new("RF 1, acks=all", 1, Acks.All),
        new("RF 3, acks=all, 4 producers", 3, Acks.All, 4),
    ];

    private int _topics;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        report.Heading("Producer throughput, one partition, in-process producer on the leader");
        var rows = new List<string[]>();
        var ratios = new List<string[]>();
        foreach ((int size, long records) in new[] { (100, options.SmallRecords), (1024, options.LargeRecords) })
        {
            var payload = new byte[size];
            new Random(size).NextBytes(payload);
            var samples = Cases.ToDictionary(c => c, _ => new List<Sample>());
            for (int round = 0; round <= options.Rounds; round++)
            {
                bool warmup = round == 0;
                long n = warmup ? Math.Max(1, records / 10) : records;
                for (int k = 0; k < Cases.Length; k++)
                {
                    Case c = Cases[(k + round) % Cases.Length];
                    string topic = $"throughput-{_topics++}";
                    int leader = await cluster.CreateTopicAsync(topic, new TopicConfig { Partitions = 1, ReplicationFactor = c.ReplicationFactor, MinInSyncReplicas = Math.Min(2, c.ReplicationFactor) }, cancellationToken);
                    await ProducerRun.PrimeAsync(cluster[leader], topic, cancellationToken);
                    IProducer<long, byte[]>[] producers = [.. Enumerable.Range(0, c.Producers).Select(_ => ProducerRun.Create(cluster[leader], c.Acks))];
                    using var followers = new FollowerMeter();
                    Sample sample = await Sample.MeasureAsync(() => Task.WhenAll(producers.Select(p =>
                        Task.Run(() => ProducerRun.ProduceAsync(p, topic, n / c.Producers, payload, cancellationToken), cancellationToken))));
                    foreach (IProducer<long, byte[]> producer in producers)
                        await producer.DisposeAsync();
                    await cluster.WaitForReplicasAsync(topic, cancellationToken);
                    Report.Log($"{size,5} B {(warmup ? "warm-up" : $"round {round}"),-8} {c.Name,-28} {n / sample.Seconds,10:N0} rec/s {n * (double)size / sample.Seconds / 1e6,7:0.0} MB/s  CPU {sample.Cores:0.00} cores, waiting for a core {sample.Waiting:0.00}; {followers.Summary()}");
                    if (!warmup)
                        samples[c].Add(sample);
                }
            }
            double Rate(Case c) => records / Stats.Median(samples[c].Select(s => s.Seconds));
            foreach (Case c in Cases)
            {
                double rate = Rate(c);
                rows.Add([$"{size} B", c.Name, Report.F(rate, "N0"), Report.F(rate * size / 1e6, "0.0"),
                    Report.F(Stats.Median(samples[c].Select(s => s.Cores)), "0.00"), Report.F(Stats.Median(samples[c].Select(s => s.Waiting)), "0.00"),
                    string.Join(", ", samples[c].Select(s => Report.F(records / s.Seconds / 1000, "0")))]);
            }
            ratios.Add([$"{size} B", Report.F(Rate(Cases[0]) / Rate(Cases[1]), "0.00"), Report.F(Rate(Cases[0]) / Rate(Cases[2]), "0.00"),
                Report.F(Rate(Cases[3]) / Rate(Cases[1]), "0.00")]);
        }
        report.Line($"{options.SmallRecords:N0} records of 100 B and {options.LargeRecords:N0} of 1 KiB per trial, {options.Rounds} rounds after a warm-up; median round.");
        report.Line($"CPU: the process's CPU time over the trial's wall time (all three nodes; the machine has {Environment.ProcessorCount} cores). Threads waiting for a core: the process's run-queue wait (schedstat) over the wall time, i.e. how many of its threads were ready but not running, on average.");
        report.Line($"");
        report.Table(["size", "case", "records/s", "MB/s", "CPU (cores)", "threads waiting for a core", "rounds (k rec/s)"], rows);
        report.Table(["size", "acks=all / acks=leader (RF 3)", "RF 3 / RF 1 (acks=all)", "acks=all with 4 producers / acks=leader"], ratios);
    }
}
