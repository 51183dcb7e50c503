using System.Diagnostics;

namespace LogStore.ReplicationBench;

/// <summary>
/// End-to-end latency with acks=all, replication factor 3: records produced at a fixed rate on the leader node, a
/// consumer on the same node (manual assignment) sees each one once the high watermark passes it, i.e. once both
/// followers hold it. Latency counts from the record's scheduled send time (so a stalled producer is not hidden:
/// no coordinated omission) to the consumer returning it.
/// </summary>
internal sealed class LatencyBench(LoopbackCluster cluster, BenchOptions options, Report report)
{
    private const int WarmupRecords = 2_000;

    private int _topics;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        report.Heading("End-to-end latency, acks=all, RF 3");
        var rows = new List<string[]>();
        foreach (TimeSpan linger in new[] { TimeSpan.FromMilliseconds(5), TimeSpan.Zero })
        {
            double[] latencies = await MeasureAsync(linger, cancellationToken);
            int worst = Array.IndexOf(latencies, latencies.Max());
            Report.Log($"latency linger {linger.TotalMilliseconds} ms: the worst record was sent {worst / (double)options.Rate:0.000} s into the run; over 100 ms: {latencies.Count(l => l > 100)}");
            Array.Sort(latencies);
            double P(double q) => Stats.Percentile(latencies, q);
            Report.Log($"latency linger {linger.TotalMilliseconds} ms: p50 {P(0.5):0.00} ms, p99 {P(0.99):0.00} ms, p99.9 {P(0.999):0.00} ms, max {latencies[^1]:0.00} ms");
            rows.Add([$"{linger.TotalMilliseconds:0} ms{(linger == TimeSpan.FromMilliseconds(5) ? " (default)" : "")}", Report.F(latencies.Length, "N0"),
                Report.F(P(0.5), "0.00"), Report.F(P(0.99), "0.00"), Report.F(P(0.999), "0.00"), Report.F(latencies[^1], "0.00")]);
        }
        double[] roundTrips = await OneAtATimeAsync(cancellationToken);
        Array.Sort(roundTrips);
        Report.Log($"acks=all one at a time: {roundTrips.Length} records, p50 {Stats.Percentile(roundTrips, 0.5):0.00} ms, p99 {Stats.Percentile(roundTrips, 0.99):0.00} ms");
        rows.Add(["one record at a time, ProduceAsync awaited (the acks=all round trip)", Report.F(roundTrips.Length, "N0"),
            Report.F(Stats.Percentile(roundTrips, 0.5), "0.00"), Report.F(Stats.Percentile(roundTrips, 0.99), "0.00"),
            Report.F(Stats.Percentile(roundTrips, 0.999), "0.00"), Report.F(roundTrips[^1], "0.00")]);
        report.Line($"{options.Rate:N0} records/s of 100 B for {options.LatencySeconds} s per row, producer and consumer on the leader node; times in ms. The last row is no end-to-end figure: the time ProduceAsync takes with acks=all and nothing else in flight.");
        report.Line($"");
        report.Table(["producer linger", "records", "p50", "p99", "p99.9", "max"], rows);
    }

    /// <summary>Awaits each acks=all ProduceAsync before the next (linger 0), for <see cref="BenchOptions.LatencySeconds"/>;
    /// after 100 unmeasured ones.</summary>
    private async Task<double[]> OneAtATimeAsync(CancellationToken cancellationToken)
    {
        string topic = $"latency-{_topics++}";
        var partition = new TopicPartition(topic, 0);
        int leader = await cluster.CreateTopicAsync(topic, new TopicConfig { Partitions = 1, ReplicationFactor = 3, MinInSyncReplicas = 2 }, cancellationToken);
        await using IProducer<long, byte[]> producer = cluster[leader].CreateProducer(
            new ProducerOptions { Acks = Acks.All, Linger = TimeSpan.Zero }, Serializers.Int64, Serializers.ByteArray);
        var payload = new byte[100];
        var times = new List<double>();
        long start = Stopwatch.GetTimestamp();
        for (int i = -100; i < 1_000_000 && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(options.LatencySeconds); i++)
        {
            long sent = Stopwatch.GetTimestamp();
            await producer.ProduceAsync(partition, new Message<long, byte[]> { Key = i, Value = payload }, cancellationToken);
            if (i >= 0)
                times.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            else
                start = Stopwatch.GetTimestamp();
        }
        return [.. times];
    }

    private async Task<double[]> MeasureAsync(TimeSpan linger, CancellationToken cancellationToken)
    {
        string topic = $"latency-{_topics++}";
        var partition = new TopicPartition(topic, 0);
        int leader = await cluster.CreateTopicAsync(topic, new TopicConfig { Partitions = 1, ReplicationFactor = 3, MinInSyncReplicas = 2 }, cancellationToken);
        int total = options.Rate * options.LatencySeconds;
        long[] scheduled = new long[total];
        double[] latencies = new double[total];
        var payload = new byte[100];

        await using IProducer<long, byte[]> producer = cluster[leader].CreateProducer(
            new ProducerOptions { Acks = Acks.All, Linger = linger }, Serializers.Int64, Serializers.ByteArray);
        await using IConsumer<long, byte[]> consumer = cluster[leader].CreateConsumer(
            new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Earliest }, Deserializers.Int64, Deserializers.ByteArray);
        consumer.Assign([new TopicPartitionOffset(partition, 0)]);

        // Warm-up, not counted: the producer's first batches (its producer id, connections, JIT) and the consumer's
        // first fetches would otherwise stand as the run's worst latencies.
        for (int i = 0; i < WarmupRecords; i++)
            producer.Produce(partition, new Message<long, byte[]> { Key = -1, Value = payload });
        await producer.FlushAsync(cancellationToken);
        for (int seen = 0; seen < WarmupRecords;)
        {
            if (await consumer.ConsumeAsync(TimeSpan.FromSeconds(30), cancellationToken) is null)
                throw new TimeoutException("The consumer saw no warm-up record for 30 s.");
            seen++;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.LatencySeconds + 60));
        long start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
        Task consuming = Task.Run(async () =>
        {
            int seen = 0;
            while (seen < total)
            {
                ConsumeResult<long, byte[]>? result = await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(100), timeout.Token);
                if (result is null)
                    continue;
                long now = Stopwatch.GetTimestamp();
                latencies[result.Message.Key] = (now - scheduled[result.Message.Key]) * 1000.0 / Stopwatch.Frequency;
                seen++;
            }
        }, timeout.Token);

        // Paced by the clock: each pass sends every record whose time has come, then yields for about a millisecond.
        for (int sent = 0; sent < total;)
        {
            long now = Stopwatch.GetTimestamp();
            int due = now < start ? 0 : (int)Math.Min(total, (now - start) * (double)options.Rate / Stopwatch.Frequency + 1);
            for (; sent < due; sent++)
            {
                scheduled[sent] = start + (long)(sent * (double)Stopwatch.Frequency / options.Rate);
                producer.Produce(partition, new Message<long, byte[]> { Key = sent, Value = payload });
            }
            await Task.Delay(1, timeout.Token);
        }
        await consuming;
        return latencies;
    }
}
