using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's concurrency check, linearizability-style: producers (<see cref="IProducer{TKey, TValue}"/> and
/// <see cref="Partition.AppendAsync(RecordBatch, CancellationToken)"/>) and consumers (manually assigned, group-subscribed, and raw
/// <see cref="Partition.ReadAsync"/> followers) work on the same partitions of a topic with tiny segments, while
/// segments roll and retention deletes them. Every acknowledged append and every observed (offset, value) is recorded,
/// and afterwards each partition must have exactly one history that explains them all (see
/// <see cref="LinearizabilityRun.Check"/>). No sleeps decide an order: the outcome is checked whatever the
/// interleaving. Shared with the soak tool, which runs it longer and repeatedly.
/// </summary>
[TestFixture]
public sealed class LinearizabilityTests
{
    /// <summary>A few seconds in all; the soak tool runs more rounds with other seeds.</summary>
    [TestCase(400, 7001)]
    [TestCase(1000, 7002)]
    [TestCase(1000, 7003)]
    [CancelAfter(60_000)]
    public async Task ProducersConsumersRollsAndRetention_EachPartitionHasOneHistoryEveryConsumerFollows(int recordsPerProducer, int seed)
    {
        LinearizabilityFigures figures = await LinearizabilityRun.RunAsync(recordsPerProducer, seed, TestContext.CurrentContext.CancellationToken);

        TestContext.Out.WriteLine(figures.ToString());
        Assert.That(figures.MinLogStartOffset, Is.Positive, "retention never deleted a segment of some partition");
        Assert.That(figures.SegmentsRolled, Is.GreaterThan(figures.Partitions * 4), "segments rarely rolled");
    }

    /// <summary>The check itself catches what it is for: a fork (two values at an offset), a consumer that skips a
    /// record retention kept, one that goes back, one that stops early, a producer's records out of order.</summary>
    [TestCase("fork")]
    [TestCase("skip")]
    [TestCase("back")]
    [TestCase("short")]
    [TestCase("reorder")]
    public void Check_BrokenHistory_Fails(string broken)
    {
        // Offsets 0..5; retention moved the log start to 2.
        var acks = Enumerable.Range(0, 6).Select(o => new LinearizabilityRun.Ack(0, o, $"P-{o}", "P", o)).ToList();
        var seen = Enumerable.Range(0, 6).Select(o => ((long)o, $"P-{o}")).ToList();
        switch (broken)
        {
            case "fork": seen[4] = (4, "P-9"); break;
            case "skip": seen.RemoveAt(3); break;
            case "back": seen.Insert(4, (1, "P-1")); break;
            case "short": seen.RemoveAt(5); break;
            case "reorder": acks[4] = acks[4] with { Seq = 5 }; acks[5] = acks[5] with { Seq = 4 }; break;
        }
        List<(long, string)> final = [.. Enumerable.Range(2, 4).Select(o => ((long)o, $"P-{o}"))];

        // Isolated: the failure the check records must not fail this test.
        using (new NUnit.Framework.Internal.TestExecutionContext.IsolatedContext())
        {
            Assert.Throws<AssertionException>(() =>
                LinearizabilityRun.Check(0, acks, [("consumer", seen)], final, logStart: 2, logEnd: 6, new LinearizabilityFigures()));
        }
        LinearizabilityRun.Check(0, [.. Enumerable.Range(0, 6).Select(o => new LinearizabilityRun.Ack(0, o, $"P-{o}", "P", o))],
            [("consumer", [.. Enumerable.Range(0, 6).Select(o => ((long)o, $"P-{o}"))]), ("late", [.. final])], final, 2, 6, new LinearizabilityFigures());
    }
}

/// <summary>One run of the linearizability check (<see cref="LinearizabilityTests"/>, and the soak tool).</summary>
internal static class LinearizabilityRun
{
    private const string Topic = "history";
    private const int Partitions = 3;

    /// <summary>Runs 2 <see cref="IProducer{TKey, TValue}"/> producers and 2 <see cref="Partition.AppendAsync(RecordBatch, CancellationToken)"/>
    /// appenders of <paramref name="recordsPerProducer"/> records each (spread over the partitions), against 2 assigned
    /// consumers, 1 group member and 2 raw readers per partition, and a retention loop; then checks the histories.</summary>
    public static async Task<LinearizabilityFigures> RunAsync(int recordsPerProducer, int seed, CancellationToken cancellationToken = default)
    {
        using var directory = new TempDirectory();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = directory.Path,
            RetentionCheckInterval = TimeSpan.FromMilliseconds(2),   // the background loop too, besides the explicit one
        }, cancellationToken);
        Topic topic = await broker.CreateTopicAsync(Topic, new TopicConfig
        {
            Partitions = Partitions,
            SegmentBytes = 1024,
            IndexIntervalBytes = 128,
            SegmentIndexBytes = 4096,
            RetentionBytes = 3 * 1024,
            RetentionTime = null,
        }, cancellationToken);

        var acks = new ConcurrentBag<Ack>();
        var observers = new List<Observer>();
        using var producersDone = new CancellationTokenSource();
        var targets = new TaskCompletionSource<long[]>(TaskCreationOptions.RunContinuationsAsynchronously);

        var consumers = new List<Task>();
        for (int c = 0; c < 2; c++)
            consumers.Add(ConsumeAsync(broker, Observe(observers, $"assigned-{c}"), group: null, targets.Task, cancellationToken));
        consumers.Add(ConsumeAsync(broker, Observe(observers, "group-member"), group: "history-group", targets.Task, cancellationToken));
        foreach (Partition partition in topic.Partitions)
        {
            for (int r = 0; r < 2; r++)
                consumers.Add(FollowAsync(partition, Observe(observers, $"reader-{partition.Id.Partition}-{r}", partition.Id.Partition), targets.Task, cancellationToken));
        }

        int segmentsRolled = 0;
        Task retention = Task.Run(async () =>
        {
            var seen = new HashSet<(int, long)>();
            while (!producersDone.IsCancellationRequested)
            {
                broker.Retention.RunOnce(cancellationToken);
                foreach (Partition partition in topic.Partitions)
                {
                    foreach (SegmentInfo segment in partition.Segments)
                        seen.Add((partition.Id.Partition, segment.BaseOffset));
                }
                await Task.Yield();
            }
            segmentsRolled = seen.Count;
        }, cancellationToken);

        Task[] producers =
        [
            ProduceAsync(broker, "P0", recordsPerProducer, seed + 1, acks, cancellationToken),
            ProduceAsync(broker, "P1", recordsPerProducer, seed + 2, acks, cancellationToken),
            AppendAsync(topic, "A0", recordsPerProducer, seed + 3, acks, cancellationToken),
            AppendAsync(topic, "A1", recordsPerProducer, seed + 4, acks, cancellationToken),
        ];
        await Task.WhenAll(producers);
        await producersDone.CancelAsync();
        await retention;
        broker.Retention.RunOnce(cancellationToken);
        targets.SetResult([.. topic.Partitions.Select(p => p.LogEndOffset)]);
        await Task.WhenAll(consumers);

        var figures = new LinearizabilityFigures { Partitions = Partitions, SegmentsRolled = segmentsRolled, MinLogStartOffset = long.MaxValue };
        foreach (Partition partition in topic.Partitions)
        {
            List<(long Offset, string Value)> final = await ReadFromStartAsync(partition, cancellationToken);
            Check(partition.Id.Partition, [.. acks.Where(a => a.Partition == partition.Id.Partition)],
                observers.Where(o => o.Follows(partition.Id.Partition)).Select(o => (o.Name, o.Of(partition.Id.Partition))).ToList(), final, partition.LogStartOffset, partition.LogEndOffset, figures);
            figures.MinLogStartOffset = Math.Min(figures.MinLogStartOffset, partition.LogStartOffset);
        }
        figures.Elapsed = clock.Elapsed;
        return figures;
    }

    /// <summary>
    /// The properties of one partition's history. The acknowledged offsets are unique and dense from 0 to the log end
    /// (nothing else appends), so they define the one sequence: offset → value. Then: every value any consumer
    /// observed, and every value a final read returns, is the acknowledged value at its offset (so values at an offset
    /// agree across consumers); each consumer's observations increase by exactly one, except that they may jump
    /// forward to an offset retention had already passed (at most the final log start); each consumer reached the log
    /// end; and each producer's records sit in the order it produced them.
    /// </summary>
    public static void Check(int partition, List<Ack> acks, List<(string Name, List<(long Offset, string Value)> Seen)> observers,
        List<(long Offset, string Value)> final, long logStart, long logEnd, LinearizabilityFigures figures)
    {
        string where = $"partition {partition}";
        var history = new Dictionary<long, string>(acks.Count);
        foreach (Ack ack in acks)
            Assert.That(history.TryAdd(ack.Offset, ack.Value), Is.True, $"{where}: offset {ack.Offset} acknowledged twice ({history.GetValueOrDefault(ack.Offset)} and {ack.Value}).");
        Assert.That(history.Count, Is.EqualTo(logEnd), $"{where}: {history.Count} acknowledged records for log end {logEnd}.");
        Assert.That(history.Keys.Min(), Is.Zero, $"{where}: the acknowledged offsets do not start at 0.");
        Assert.That(history.Keys.Max(), Is.EqualTo(logEnd - 1), $"{where}: the acknowledged offsets are not dense up to the log end.");

        foreach (IGrouping<string, Ack> producer in acks.GroupBy(a => a.Producer))
        {
            Ack[] inOrder = [.. producer.OrderBy(a => a.Seq)];
            for (int i = 1; i < inOrder.Length; i++)
                Assert.That(inOrder[i].Offset, Is.GreaterThan(inOrder[i - 1].Offset), $"{where}: {producer.Key}'s record {inOrder[i].Seq} landed before its record {inOrder[i - 1].Seq}.");
        }

        Assert.That(final.Select(r => r.Offset), Is.EqualTo(Enumerable.Range((int)logStart, (int)(logEnd - logStart)).Select(o => (long)o)), $"{where}: the final read is not the log from its start to its end.");
        foreach ((long offset, string value) in final)
            Assert.That(value, Is.EqualTo(history[offset]), $"{where}: the final read has {value} at {offset}, acknowledged as {history[offset]}.");

        foreach ((string name, List<(long Offset, string Value)> seen) in observers)
        {
            long previous = -1;
            foreach ((long offset, string value) in seen)
            {
                Assert.That(history.TryGetValue(offset, out string? acknowledged), Is.True, $"{where}: {name} saw offset {offset}, which was never acknowledged.");
                Assert.That(value, Is.EqualTo(acknowledged), $"{where}: {name} saw {value} at {offset}, acknowledged as {acknowledged}.");
                if (offset != previous + 1)
                {
                    Assert.That(offset, Is.GreaterThan(previous), $"{where}: {name} went back from {previous} to {offset}.");
                    Assert.That(offset, Is.LessThanOrEqualTo(logStart), $"{where}: {name} skipped from {previous} to {offset}, past what retention deleted (log start {logStart}).");
                    figures.Jumps++;
                }
                previous = offset;
                figures.Observations++;
            }
            Assert.That(previous, Is.EqualTo(logEnd - 1), $"{where}: {name} stopped at {previous}, before the log end {logEnd}.");
        }
        figures.Acknowledged += acks.Count;
    }

    private static Observer Observe(List<Observer> observers, string name, int? only = null)
    {
        var observer = new Observer(name, only);
        observers.Add(observer);
        return observer;
    }

    /// <summary>A producer with bursts of deliveries in flight to every partition; records each acknowledgement.</summary>
    private static async Task ProduceAsync(Broker broker, string name, int records, int seed, ConcurrentBag<Ack> acks, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(1) });
        var inFlight = new List<(int Partition, int Seq, string Value, Task<DeliveryResult> Delivery)>();
        for (int seq = 0; seq < records;)
        {
            for (int burst = random.Next(1, 17); burst > 0 && seq < records; burst--, seq++)
            {
                int partition = random.Next(Partitions);
                string value = Value(name, seq);
                inFlight.Add((partition, seq, value, producer.ProduceAsync(new TopicPartition(Topic, partition),
                    new Message<string, string> { Key = name, Value = value }, cancellationToken).AsTask()));
            }
            foreach ((int partition, int s, string value, Task<DeliveryResult> delivery) in inFlight)
            {
                DeliveryResult result = await delivery;
                Assert.That(result.TopicPartition.Partition, Is.EqualTo(partition));
                acks.Add(new Ack(partition, result.Offset, value, name, s));
            }
            inFlight.Clear();
        }
    }

    /// <summary>Appends batches of 1–5 records straight to the partitions; records each acknowledged offset.</summary>
    private static async Task AppendAsync(Topic topic, string name, int records, int seed, ConcurrentBag<Ack> acks, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        using var builder = new RecordBatchBuilder();
        for (int seq = 0; seq < records;)
        {
            int partition = random.Next(Partitions);
            int count = Math.Min(random.Next(1, 6), records - seq);
            for (int i = 0; i < count; i++)
                builder.Append(1_700_000_000_000 + seq + i, Encoding.UTF8.GetBytes(name), Encoding.UTF8.GetBytes(Value(name, seq + i)));
            AppendResult appended = await topic.Partitions[partition].AppendAsync(builder.Build(), cancellationToken);
            builder.Reset();
            for (int i = 0; i < count; i++)
                acks.Add(new Ack(partition, appended.BaseOffset + i, Value(name, seq + i), name, seq + i));
            seq += count;
        }
    }

    /// <summary>A consumer of every partition (assigned from offset 0, or as the group's only member) that stops once
    /// it has consumed up to every partition's final log end.</summary>
    private static async Task ConsumeAsync(Broker broker, Observer observer, string? group, Task<long[]> targets, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions
        {
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            MaxPollRecords = 50,
            MaxPartitionFetchBytes = 2048,
        });
        if (group is null)
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(new TopicPartition(Topic, p), 0)));
        else
            consumer.Subscribe([Topic]);
        long[] next = new long[Partitions];
        while (!targets.IsCompleted || !Reached(next, targets.Result))
        {
            ConsumeResult<string, string>? result = await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
            if (result is null)
                continue;
            int partition = result.TopicPartition.Partition;
            observer.Add(partition, result.Offset, result.Message.Value);
            next[partition] = result.Offset + 1;
        }
    }

    /// <summary>A raw follower of one partition: long-polling reads; below the log start it moves to the log start.</summary>
    private static async Task FollowAsync(Partition partition, Observer observer, Task<long[]> targets, CancellationToken cancellationToken)
    {
        await Task.Yield();
        long next = 0;
        int p = partition.Id.Partition;
        while (!targets.IsCompleted || next < targets.Result[p])
        {
            FetchResult fetch;
            try
            {
                fetch = await partition.ReadAsync(next, 1500, TimeSpan.FromMilliseconds(50), cancellationToken);
            }
            catch (OffsetOutOfRangeException)
            {
                next = Math.Max(next, partition.LogStartOffset);
                continue;
            }
            using (fetch)
            {
                foreach (RecordBatch batch in fetch)
                {
                    Assert.That(batch.IsValid, Is.True, $"{observer.Name}: a batch at {batch.BaseOffset} fails its CRC.");
                    foreach (Record record in batch)
                    {
                        if (record.Offset < next)
                            continue;
                        observer.Add(p, record.Offset, Encoding.UTF8.GetString(record.Value));
                        next = record.Offset + 1;
                    }
                }
            }
        }
    }

    private static async Task<List<(long, string)>> ReadFromStartAsync(Partition partition, CancellationToken cancellationToken)
    {
        var records = new List<(long, string)>();
        long next = partition.LogStartOffset;
        while (next < partition.LogEndOffset)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 1 << 20, cancellationToken: cancellationToken);
            foreach (RecordBatch batch in fetch)
            {
                foreach (Record record in batch)
                {
                    if (record.Offset >= next)
                        records.Add((record.Offset, Encoding.UTF8.GetString(record.Value)));
                }
                next = batch.NextOffset;
            }
        }
        return records;
    }

    private static bool Reached(long[] next, long[] targets)
    {
        for (int p = 0; p < next.Length; p++)
        {
            if (next[p] < targets[p])
                return false;
        }
        return true;
    }

    private static string Value(string producer, int seq) => producer + "-" + seq.ToString(CultureInfo.InvariantCulture);

    /// <summary>One acknowledged record.</summary>
    internal sealed record Ack(int Partition, long Offset, string Value, string Producer, int Seq);

    /// <summary>What one consumer saw, per partition, in order (of every partition, or <paramref name="only"/> one).
    /// Written by its own task only.</summary>
    private sealed class Observer(string name, int? only)
    {
        private readonly List<(long, string)>[] _seen = [.. Enumerable.Range(0, Partitions).Select(_ => new List<(long, string)>())];

        public string Name { get; } = name;

        public void Add(int partition, long offset, string value) => _seen[partition].Add((offset, value));

        public List<(long Offset, string Value)> Of(int partition) => _seen[partition];

        public bool Follows(int partition) => only is null || only == partition;
    }
}

/// <summary>What one linearizability run did.</summary>
internal sealed class LinearizabilityFigures
{
    public int Partitions { get; set; }

    public long Acknowledged { get; set; }

    public long Observations { get; set; }

    public long Jumps { get; set; }

    public int SegmentsRolled { get; set; }

    public long MinLogStartOffset { get; set; }

    public TimeSpan Elapsed { get; set; }

    public override string ToString() =>
        $"linearizability: {Acknowledged:N0} acknowledged records on {Partitions} partitions, {Observations:N0} observations checked " +
        $"({Jumps} jumps past retention), {SegmentsRolled} segments seen, log start ≥ {MinLogStartOffset} everywhere, {Elapsed.TotalSeconds:F1} s";
}
