using System.Text;
using LogStore.CrashHost;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The power-loss loop (<see cref="PowerLossTests"/>, and the soak tool's longer runs): a store writes through a
/// <see cref="PowerLossFileSystem"/> while appending the crash loop's records, rolling, and running retention or the
/// cleaner; at seeded-random moments it is imaged as a power loss then could leave it — only what an fsync covered, then
/// that plus a torn part of what came after — and each image is checked by <see cref="CrashLoopChecker"/>: it opens,
/// recovers, holds every acknowledged record intact at its offset, returns nothing corrupt, and its indexes agree with
/// its log. Failures are NUnit assertions. See tests/RELIABILITY.md, "Power loss".
/// </summary>
internal static class PowerLossRun
{
    /// <summary>The cases: the crash loop's topics (flush.messages=1: every append is acknowledged durable) — in the
    /// <c>producer</c> mode through an <see cref="IProducer{TKey, TValue}"/> with <see cref="Acks.All"/>, whose delivery
    /// is the acknowledgement — and the <c>roll</c> topic without flush.messages, where only appends before a
    /// <see cref="Partition.FlushAsync"/> are.</summary>
    public static readonly (string Mode, bool FlushedByHand)[] Cases =
        [("roll", false), ("retention", false), ("compact", false), ("producer", false), ("roll", true)];

    /// <summary>Runs <paramref name="losses"/> power losses of a case, 1 to <paramref name="maxAppendsBetween"/> appends
    /// apart, two images each.</summary>
    public static async Task<PowerLossFigures> RunAsync(string mode, bool flushedByHand, int losses, int maxAppendsBetween, int seed,
        CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        var files = new PowerLossFileSystem();
        var checker = new CrashLoopChecker(mode);
        TopicConfig config = flushedByHand ? Unflushed(CrashRecords.Config(mode)) : CrashRecords.Config(mode);
        bool compact = config.CleanupPolicy != CleanupPolicy.Delete;
        using var store = new TempDirectory();
        // A fake clock that never moves: the background flush and retention loops never run, so everything that writes
        // happens in this loop's order and a seed replays it — except the roll's background flush of the rolled
        // segment, which races the loop as it would race a power cut.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = store.Path, FileSystem = files, TimeProvider = time },
            cancellationToken);
        Partition partition = (await broker.CreateTopicAsync(CrashRecords.Topic, config, cancellationToken)).Partitions[0];
        await using IProducer<string, string>? producer = mode == "producer"
            ? broker.CreateProducer<string, string>(new ProducerOptions { Acks = Acks.All })
            : null;
        using var builder = new RecordBatchBuilder();
        long durableEnd = 0;
        long next = 0;
        for (int loss = 0; loss < losses; loss++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long acknowledgedFrom = durableEnd;
            int appends = random.Next(1, maxAppendsBetween + 1);
            for (int i = 0; i < appends; i++)
            {
                int count = random.Next(1, 9);
                long first = producer is null
                    ? await AppendAsync(partition, builder, next, count, compact, cancellationToken)
                    : await ProduceAsync(producer, next, count, cancellationToken);
                Assert.That(first, Is.EqualTo(next), "the live store assigned an unexpected offset");
                next += count;
                if (!flushedByHand)
                {
                    durableEnd = next;
                }
                else if (random.Next(4) == 0)
                {
                    await partition.FlushAsync(cancellationToken);
                    durableEnd = next;
                }
                if (random.Next(6) == 0)
                    broker.Retention.RunOnce(cancellationToken);
            }
            var acks = new List<(long Offset, long Seq)>();
            for (long offset = acknowledgedFrom; offset < durableEnd; offset++)
                acks.Add((offset, offset));
            checker.AcceptRun(loss, new ChildRun((acknowledgedFrom, acknowledgedFrom), acks, Resume: null, Commits: []));

            foreach (bool torn in new[] { false, true })
            {
                using var image = new TempDirectory();
                files.WriteImage(store.Path, image, random, torn);
                await checker.CheckAsync(loss, image.Path);
            }
        }
        return new PowerLossFigures(flushedByHand ? mode + ", flushed by hand" : mode, losses * 2, checker.AcknowledgedRecords,
            checker.RecordsVerified, checker.MaxSegments, checker.MaxLogStartOffset, checker.MaxCompactedAway);
    }

    /// <summary>Appends records <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1 as
    /// one batch; returns the offset it got.</summary>
    private static async Task<long> AppendAsync(Partition partition, RecordBatchBuilder builder, long first, int count, bool compact,
        CancellationToken cancellationToken)
    {
        for (int j = 0; j < count; j++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes(CrashRecords.Key(first + j, compact)), Encoding.UTF8.GetBytes(CrashRecords.Value(first + j)));
        AppendResult appended = await partition.AppendAsync(builder.Build(), cancellationToken);
        builder.Reset();
        return appended.BaseOffset;
    }

    /// <summary>Produces the records as a burst of deliveries in flight at once, flushes (the clock never moves, so no
    /// linger ends a batch) and waits for every delivery; returns the first record's offset.</summary>
    private static async Task<long> ProduceAsync(IProducer<string, string> producer, long first, int count, CancellationToken cancellationToken)
    {
        var tp = new TopicPartition(CrashRecords.Topic, 0);
        var deliveries = new Task<DeliveryResult>[count];
        for (int j = 0; j < count; j++)
        {
            var message = new Message<string, string> { Key = CrashRecords.Key(first + j, compact: false), Value = CrashRecords.Value(first + j) };
            deliveries[j] = producer.ProduceAsync(tp, message, cancellationToken).AsTask();
        }
        await producer.FlushAsync(cancellationToken);
        DeliveryResult[] results = await Task.WhenAll(deliveries);
        for (int j = 0; j < count; j++)
            Assert.That(results[j].Offset, Is.EqualTo(results[0].Offset + j), "a burst's deliveries are in order");
        return results[0].Offset;
    }

    /// <summary>The case did what it claims: segments rolled, retention deleted, the cleaner removed records.</summary>
    public static void AssertExercised(PowerLossFigures figures)
    {
        Assert.That(figures.MaxSegments, Is.GreaterThan(1), $"{figures}: no segment rolled.");
        if (figures.Case == "retention")
            Assert.That(figures.MaxLogStartOffset, Is.GreaterThan(0), $"{figures}: retention never deleted a segment.");
        if (figures.Case == "compact")
            Assert.That(figures.MaxCompactedAway, Is.GreaterThan(0), $"{figures}: the cleaner never removed a record.");
    }

    private static TopicConfig Unflushed(TopicConfig config) => new()
    {
        SegmentBytes = config.SegmentBytes,
        IndexIntervalBytes = config.IndexIntervalBytes,
        SegmentIndexBytes = config.SegmentIndexBytes,
        RetentionTime = config.RetentionTime,
        FlushMessages = null,
    };
}

/// <summary>What one power-loss run did, for tests/RELIABILITY.md and the soak's summary.</summary>
internal sealed record PowerLossFigures(string Case, int Images, long AcknowledgedRecords, long RecordsVerified, int MaxSegments,
    long MaxLogStartOffset, long MaxCompactedAway)
{
    public override string ToString() =>
        $"power loss '{Case}': {Images} images, {AcknowledgedRecords} acknowledged records, {RecordsVerified} record reads verified, " +
        $"up to {MaxSegments} segments, log start up to {MaxLogStartOffset}, up to {MaxCompactedAway} records compacted away";
}
