using System.Diagnostics;

namespace LogStore.ReplicationBench;

/// <summary>
/// A follower catching up: with one follower closed, <see cref="BenchOptions.CatchUpBytes"/> of 1 KiB records go to
/// the leader (acks=leader); then the follower's Broker opens again and the clock runs until its log end reaches the
/// leader's. Reported from the open call and from the follower's first fetched bytes, with the bytes the listener
/// sent by sendfile over the same time (every Broker of the process counts, but only this follower is behind).
/// </summary>
internal sealed class CatchUpBench(LoopbackCluster cluster, BenchOptions options, Report report)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        report.Heading("A follower catching up");
        var rows = new List<string[]>();
        for (int round = 1; round <= options.CatchUpRounds; round++)
        {
            string topic = $"catchup-{round}";
            int leader = await cluster.CreateTopicAsync(topic, new TopicConfig { Partitions = 1, ReplicationFactor = 3, MinInSyncReplicas = 1 }, cancellationToken);
            int follower = (leader + 1) % LoopbackCluster.Size;
            await cluster.StopAsync(follower);

            var payload = new byte[1024];
            new Random(round).NextBytes(payload);
            long records = options.CatchUpBytes / payload.Length;
            await using (IProducer<long, byte[]> producer = ProducerRun.Create(cluster[leader], Acks.Leader))
                await ProducerRun.ProduceAsync(producer, topic, records, payload, cancellationToken);
            Partition leading = cluster.Replica(leader, topic)!;
            long target = leading.LogEndOffset;
            long bytes = leading.Segments.Sum(s => s.SizeInBytes);
            // The other follower fetched alongside the producer; it must be done before the clock starts, or its
            // tail would share the machine and the sendfile count with the measured catch-up.
            int other = 3 - leader - follower;
            long waitStart = Stopwatch.GetTimestamp();
            while ((cluster.Replica(other, topic)?.LogEndOffset ?? 0) < target)
            {
                // With acks=leader, a leadership that moved may have taken the records counted above with it: say so
                // rather than wait for an offset that no replica will reach.
                if (leading.Leader is int now && now != leader)
                    throw new InvalidOperationException($"The leadership of {topic} moved from node {leader} to node {now} during the write.");
                if (Stopwatch.GetElapsedTime(waitStart) > Limit)
                    throw new TimeoutException($"Node {other} did not catch up on {topic} in {Limit.TotalMinutes} min.");
                await Task.Delay(5, cancellationToken);
            }
            Report.Log($"catch-up round {round}: {bytes / 1e6:0} MB on node {leader} (node {other} caught up after {Stopwatch.GetElapsedTime(waitStart).TotalSeconds:0.0} s), node {follower} starts");

            using var sendFile = new SendFileMeter();
            using var followers = new FollowerMeter();
            using var process = Process.GetCurrentProcess();
            TimeSpan cpu = process.TotalProcessorTime;
            Dictionary<int, long> runQueue = Sample.RunQueueNow();
            int gen2 = GC.CollectionCount(2), gen0 = GC.CollectionCount(0);
            long start = Stopwatch.GetTimestamp();
            await cluster.StartAsync(follower, cancellationToken);
            double opened = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double firstBytes = double.NaN;
            while (true)
            {
                Partition? replica = cluster.Replica(follower, topic);
                long end = replica?.LogEndOffset ?? 0;
                if (end > 0 && double.IsNaN(firstBytes))
                    firstBytes = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (end >= target)
                    break;
                if (Stopwatch.GetElapsedTime(start) > Limit)
                    throw new TimeoutException($"Node {follower} reached offset {end} of {target} in {Limit.TotalMinutes} min.");
                await Task.Delay(2, cancellationToken);
            }
            double total = Stopwatch.GetElapsedTime(start).TotalSeconds;
            process.Refresh();
            double cores = (process.TotalProcessorTime - cpu).TotalSeconds / total;
            double waiting = Sample.RunQueueSecondsSince(runQueue) / total;
            long sent = sendFile.Bytes;
            double copying = total - firstBytes;
            Report.Log($"catch-up round {round}: {total:0.00} s, {bytes / total / 1e6:0} MB/s from open, {bytes / copying / 1e6:0} MB/s from first bytes, sendfile {sent / 1e6:0} MB, CPU {cores:0.00} cores, waiting for a core {waiting:0.00}, GCs gen0 {GC.CollectionCount(0) - gen0} gen2 {GC.CollectionCount(2) - gen2}; {followers.Summary()}");
            rows.Add([Report.F(bytes / 1e6, "N0"), Report.F(opened, "0.00"), Report.F(firstBytes, "0.00"), Report.F(total, "0.00"),
                Report.F(bytes / total / 1e6, "0"), Report.F(bytes / copying / 1e6, "0"),
                $"{Report.F(sent / 1e6, "N0")} ({Report.F(100.0 * sent / bytes, "0")} %)", Report.F(cores, "0.00"), Report.F(waiting, "0.00")]);
            await cluster.WaitForInSyncAsync(topic, 3, cancellationToken);
        }
        report.Line($"{options.CatchUpBytes / (1 << 20):N0} MiB of 1 KiB records (16 KiB batches) written to the leader while one follower was closed; times from the follower's Broker.OpenAsync call.");
        report.Line($"");
        report.Table(["log (MB)", "open done (s)", "first bytes (s)", "caught up (s)", "MB/s from open", "MB/s from first bytes", "sent by sendfile (MB)", "CPU (cores)", "threads waiting for a core"], rows);
    }
}
