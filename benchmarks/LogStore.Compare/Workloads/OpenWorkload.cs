using System.Diagnostics;
using System.Globalization;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workload 7: <see cref="Broker.OpenAsync"/> of a data directory whose topic has N segments (10,000), closed cleanly
/// before. The store is made once (a topic whose segment.bytes is one small batch rolls at every append); then it is
/// opened <see cref="Opens"/> times, each open timed up to the returned broker and disposed untimed. The first open
/// after the build finds the files in the page cache, as every open after it (a process restart). LogStore only: the
/// other systems have no segments to list (FasterLog keeps 1 GiB segment files, SQLite one file).
/// </summary>
internal sealed class OpenWorkload(int segments) : IWorkload
{
    private const int Opens = 7;
    private const int RecordsPerSegment = 10;

    public int Number => 7;

    public string Title => $"open a store of {segments:N0} segments";

    public int Steps => 1 + Opens;

    public void Run(ProgressSink progress, Action<WorkloadResult> completed)
    {
        string directory = Scratch.NewDirectory("w7-ls");
        try
        {
            progress.Status($"W7 building {segments:N0} segments");
            Build(directory);
            progress.Step();
            var seconds = new List<double>();
            long allocated = 0;
            for (int i = 0; i < Opens; i++)
            {
                progress.Status($"W7 {Title}: open {i + 1}/{Opens}");
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long before = GC.GetTotalAllocatedBytes(precise: true);
                long start = Stopwatch.GetTimestamp();
                Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = directory }).AsTask().GetAwaiter().GetResult();
                seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
                allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                int found = broker.Topics.Single().Partitions[0].Segments.Count;
                broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
                if (found != segments)
                    throw new InvalidOperationException($"Reopened {found} segments, expected {segments}.");
                progress.Log(string.Create(CultureInfo.InvariantCulture, $"  W7 open {i + 1}: {seconds[^1] * 1000,8:0.0} ms, {allocated / 1e6:0.0} MB allocated"));
                progress.Step();
            }
            double median = seconds.Order().ElementAt(seconds.Count / 2);
            completed(new WorkloadResult
            {
                Id = "7",
                Title = Title,
                Baseline = SystemNames.LogStore,
                Systems =
                [
                    new SystemResult
                    {
                        System = SystemNames.LogStore,
                        Method = $"Broker.OpenAsync of a cleanly closed directory, 1 topic, 1 partition, {segments:N0} segments of {RecordsPerSegment} records; median of {Opens} opens",
                        Records = segments,
                        Seconds = median,
                        AllocatedBytes = allocated,
                        RoundSeconds = seconds,
                    },
                ],
            });
        }
        finally
        {
            Scratch.Delete(directory);
        }
    }

    private void Build(string directory)
    {
        using var builder = new RecordBatchBuilder();
        byte[] value = Payload.Value(100);
        for (int i = 0; i < RecordsPerSegment; i++)
            builder.Append(0, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
        byte[] batch = builder.Build().Memory.ToArray();
        Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = directory }).AsTask().GetAwaiter().GetResult();
        try
        {
            var config = new TopicConfig { SegmentBytes = batch.Length, RetentionTime = null };
            Partition partition = broker.CreateTopicAsync("bench", config).AsTask().GetAwaiter().GetResult().Partitions[0];
            for (int i = 0; i < segments; i++)
                partition.AppendAsync(RecordBatch.Parse(batch)).GetAwaiter().GetResult();
            if (partition.Segments.Count != segments)
                throw new InvalidOperationException($"Built {partition.Segments.Count} segments, expected {segments}.");
        }
        finally
        {
            broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
