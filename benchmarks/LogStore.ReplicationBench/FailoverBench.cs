using System.Diagnostics;

namespace LogStore.ReplicationBench;

/// <summary>
/// Failover in process: the partition leader's Broker is closed (DisposeAsync, not awaited: a close is a controlled
/// shutdown, which hands the leaderships over before the node stops) and the clock runs until a surviving node
/// acknowledges an acks=all write (RF 3, min ISR 2). The closed node then
/// opens again and rejoins the in-sync replicas before the next round. A real SIGKILL of a process is the kill test's
/// (RESULTS.md "Replication, first figures").
/// </summary>
internal sealed class FailoverBench(LoopbackCluster cluster, BenchOptions options, Report report)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AttemptLimit = TimeSpan.FromSeconds(2);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        report.Heading("Failover in process");
        const string topic = "failover";
        var partition = new TopicPartition(topic, 0);
        await cluster.CreateTopicAsync(topic, new TopicConfig { Partitions = 1, ReplicationFactor = 3, MinInSyncReplicas = 2 }, cancellationToken);
        var times = new List<double>();
        var closes = new List<double>();
        for (int round = 1; round <= options.Failovers; round++)
        {
            var producers = new Dictionary<int, IProducer<long, byte[]>>();
            for (int node = 0; node < LoopbackCluster.Size; node++)
                producers[node] = cluster[node].CreateProducer(new ProducerOptions { Acks = Acks.All }, Serializers.Int64, Serializers.ByteArray);
            // One acknowledged write before the cut: the round starts from a working partition, and the node that
            // acknowledged it is the leader (a node just restarted may still believe it leads until it applies the
            // controller's image).
            int leader = await FirstAcknowledgedAsync(producers, partition, -round, Stopwatch.GetTimestamp(), cancellationToken);
            await producers[leader].DisposeAsync();
            producers.Remove(leader);

            long start = Stopwatch.GetTimestamp();
            Task<double> closing = Task.Run(async () =>
            {
                await cluster.StopAsync(leader);
                return Stopwatch.GetElapsedTime(start).TotalSeconds;
            }, cancellationToken);
            int next = await FirstAcknowledgedAsync(producers, partition, round, start, cancellationToken);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double closed = await closing;
            foreach (IProducer<long, byte[]> producer in producers.Values)
                await producer.DisposeAsync();
            Report.Log($"failover round {round}: node {leader} closed, node {next} acknowledged after {seconds * 1000:0} ms (close took {closed * 1000:0} ms)");
            times.Add(seconds * 1000);
            closes.Add(closed * 1000);

            await cluster.StartAsync(leader, cancellationToken);
            await cluster.WaitForInSyncAsync(topic, 3, cancellationToken);
        }
        double[] sorted = [.. times.Order()];
        report.Line($"{options.Failovers} rounds; the time from the close call to the first acks=all write a surviving node acknowledged (ms):");
        report.Line($"");
        report.Table(["rounds", "p50", "p99", "max", "min", "every round", "the close call took (median)"],
            [[Report.F(sorted.Length, "0"), Report.F(Stats.Percentile(sorted, 0.5), "0"), Report.F(Stats.Percentile(sorted, 0.99), "0"),
                Report.F(sorted[^1], "0"), Report.F(sorted[0], "0"), string.Join(", ", times.Select(t => Report.F(t, "0"))),
                Report.F(Stats.Median(closes), "0")]]);
    }

    /// <summary>Tries, every few milliseconds, an acks=all write on each survivor that believes it leads; returns the
    /// node that acknowledged first.</summary>
    private async Task<int> FirstAcknowledgedAsync(Dictionary<int, IProducer<long, byte[]>> producers, TopicPartition partition,
        int round, long start, CancellationToken cancellationToken)
    {
        while (Stopwatch.GetElapsedTime(start) < Limit)
        {
            foreach ((int node, IProducer<long, byte[]> producer) in producers)
            {
                if (cluster.Replica(node, partition.Topic)?.Leader != node)
                    continue;
                try
                {
                    await producer.ProduceAsync(partition, new Message<long, byte[]> { Key = round, Value = [] }, cancellationToken)
                        .AsTask().WaitAsync(AttemptLimit, cancellationToken);
                    return node;
                }
                catch (Exception e) when (e is LogStoreException or TimeoutException)
                {
                }
            }
            await Task.Delay(5, cancellationToken);
        }
        throw new TimeoutException($"No surviving node acknowledged a write within {Limit.TotalSeconds} s.");
    }
}
