using System.Text;
using LogStore.CrashHost;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The power-loss loop (<see cref="PowerLossTests"/>, and the soak tool's longer runs): a store writes through a
/// <see cref="PowerLossFileSystem"/> while appending the crash loop's records, rolling, running retention or the
/// cleaner, creating topics or committing a group's offsets; at seeded-random moments it is imaged as a power loss then
/// could leave it — between calls, and just before a rename or directory fsync inside one — in three kinds of image:
/// durable bytes in the directories as of their last fsync, the same with torn tails, and torn tails with a random
/// prefix of each directory's unsynced entry operations. Each image is checked by <see cref="CrashLoopChecker"/> and
/// <see cref="PowerLossPromises"/>: it opens, recovers, holds every acknowledged record intact at its offset, returns
/// nothing corrupt, its indexes agree with its log, every acknowledged topic, log start and offset commit is there, and
/// the next append lands at the log end. Failures are NUnit assertions naming the seed. See tests/RELIABILITY.md,
/// "Power loss".
/// </summary>
internal static class PowerLossRun
{
    /// <summary>The cases: the crash loop's topics (flush.messages=1: every append is acknowledged durable) — in the
    /// <c>producer</c> mode through an <see cref="IProducer{TKey, TValue}"/> with <see cref="Acks.All"/>, whose delivery
    /// is the acknowledgement — the <c>roll</c> topic without flush.messages, where only appends before a
    /// <see cref="Partition.FlushAsync"/> are, and the <c>roll</c> topic while topics are created (<c>topics</c>) or a
    /// group commits offsets (<c>groups</c>).</summary>
    public static readonly (string Mode, bool FlushedByHand)[] Cases =
        [("roll", false), ("retention", false), ("compact", false), ("producer", false), ("roll", true), ("topics", false), ("groups", false)];

    /// <summary>The images made at each power loss between calls; one of them at random inside a call.</summary>
    private static readonly (bool Torn, PowerLossFileSystem.Entries Entries)[] ImageKinds =
        [(false, PowerLossFileSystem.Entries.Durable), (true, PowerLossFileSystem.Entries.Durable), (true, PowerLossFileSystem.Entries.RandomPrefix)];

    /// <summary>Runs <paramref name="losses"/> power losses of a case, 1 to <paramref name="maxAppendsBetween"/> appends
    /// apart, three images each between calls, and before each at most one inside a call (at one in four renames and
    /// directory fsyncs).</summary>
    public static async Task<PowerLossFigures> RunAsync(string mode, bool flushedByHand, int losses, int maxAppendsBetween, int seed,
        CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        string recordsMode = mode is "topics" or "groups" ? "roll" : mode;
        var checker = new CrashLoopChecker(recordsMode) { ImageFileSystem = NoFsyncFileSystem.Instance };
        var promises = new PowerLossPromises();
        using var inside = new ImagesInsideCalls(seed);
        string label = $"power loss '{mode}'{(flushedByHand ? ", flushed by hand" : "")}, seed {seed}";
        TopicConfig config = flushedByHand ? Unflushed(CrashRecords.Config(recordsMode)) : CrashRecords.Config(recordsMode);
        bool compact = config.CleanupPolicy != CleanupPolicy.Delete;
        // A fake clock that never moves: the background flush and retention loops never run, so everything that writes
        // happens in this loop's order and a seed replays it — except the roll's background flush of the rolled
        // segment, which races the loop as it would race a power cut.
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        PowerLossStore live = await PowerLossStore.CreateAsync(mode, config, time, inside, cancellationToken);
        try
        {
            using var builder = new RecordBatchBuilder();
            long durableEnd = 0;
            long next = 0;
            int round = 0, recoveries = 0;
            // Images made inside the call that just returned are checked against what was acknowledged before it.
            async Task CheckInsideAsync()
            {
                foreach ((TempDirectory image, string where) in inside.TakeAll())
                {
                    using (image)
                        await CheckAsync(checker, promises, round, image.Path, $"{label}, {where}");
                }
            }

            for (int loss = 0; loss < losses; loss++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                round = loss;
                inside.Arm();
                int appends = random.Next(1, maxAppendsBetween + 1);
                int createAt = mode == "topics" ? random.Next(appends) : -1;
                Partition partition = live.Partition;
                for (int i = 0; i < appends; i++)
                {
                    int count = random.Next(1, 9);
                    long first = live.Producer is { } producer
                        ? await ProduceAsync(producer, next, count, cancellationToken)
                        : await AppendAsync(partition, builder, next, count, compact, cancellationToken);
                    Assert.That(first, Is.EqualTo(next), $"{label}: the live store assigned an unexpected offset");
                    next += count;
                    await CheckInsideAsync();
                    if (!flushedByHand)
                    {
                        Acknowledge(checker, loss, durableEnd, next);
                        durableEnd = next;
                    }
                    else if (random.Next(4) == 0)
                    {
                        await partition.FlushAsync(cancellationToken);
                        await CheckInsideAsync();
                        Acknowledge(checker, loss, durableEnd, next);
                        durableEnd = next;
                    }
                    if (random.Next(6) == 0)
                    {
                        if (mode == "retention" && random.Next(3) == 0)
                            await live.Broker.DeleteRecordsAsync(partition.Id, partition.LogStartOffset + (durableEnd - partition.LogStartOffset) / 4, cancellationToken);
                        else
                            live.Broker.Retention.RunOnce(cancellationToken);
                        await CheckInsideAsync();
                        promises.LogStartAcknowledged(partition.LogStartOffset);
                    }
                    if (i == createAt)
                        await CreateTopicAsync(live.Broker, promises, $"power-loss-{loss}", random.Next(1, 4), random.Next(1, 4), CheckInsideAsync, cancellationToken);
                    if (live.Committer is { } committer && random.Next(3) == 0)
                    {
                        promises.CommitRequested(durableEnd);
                        committer.Commit([new TopicPartitionOffset(partition.Id, durableEnd)]);
                        await CheckInsideAsync();
                        promises.CommitAcknowledged(durableEnd);
                    }
                }

                foreach ((bool torn, PowerLossFileSystem.Entries entries) in ImageKinds)
                {
                    using var image = new TempDirectory();
                    live.Files.WriteImage(image.Path, random, torn, entries);
                    await CheckAsync(checker, promises, loss, image.Path, $"{label}, between calls, {(torn ? "torn tails" : "durable bytes")}, entries {entries}");
                }
                if (random.Next(4) == 0)
                {
                    // The power loss happens: the store goes on from an image of itself, torn, with a random part of
                    // its unsynced entries — one image checked (it gets an append), its twin recovered and used.
                    live = await RecoverAsync(live, mode, time, inside, random, checker, promises, loss, $"{label}, recovered store", cancellationToken);
                    recoveries++;
                    durableEnd = next = live.Partition.LogEndOffset;
                }
            }
            inside.Disarm();
            return new PowerLossFigures(flushedByHand ? mode + ", flushed by hand" : mode, losses * ImageKinds.Length + recoveries, inside.Images,
                recoveries, checker.AcknowledgedRecords, checker.RecordsVerified, checker.MaxSegments, checker.MaxLogStartOffset,
                checker.MaxCompactedAway, promises.TopicsCreated, promises.CommitsAcknowledged);
        }
        finally
        {
            await live.DisposeAsync();
        }
    }

    private static async Task<PowerLossStore> RecoverAsync(PowerLossStore live, string mode, FakeTimeProvider time, ImagesInsideCalls inside,
        Random random, CrashLoopChecker checker, PowerLossPromises promises, int round, string where, CancellationToken cancellationToken)
    {
        var image = new TempDirectory();
        try
        {
            live.Files.WriteImage(image.Path, random, torn: true, PowerLossFileSystem.Entries.RandomPrefix);
            using (TempDirectory twin = Copy(image))
                await CheckAsync(checker, promises, round, twin.Path, where);
            await live.DisposeAsync();
            PowerLossStore recovered = await PowerLossStore.RecoverFromAsync(image, mode, time, inside, cancellationToken);
            Assert.That(recovered.Partition.LogEndOffset, Is.GreaterThanOrEqualTo(checker.AcknowledgedEnd), $"{where}: the log end moved back.");
            return recovered;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private static TempDirectory Copy(TempDirectory source)
    {
        var copy = new TempDirectory();
        foreach (string dir in Directory.EnumerateDirectories(source.Path, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(source.Path, copy.Path, StringComparison.Ordinal));
        foreach (string file in Directory.EnumerateFiles(source.Path, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(source.Path, copy.Path, StringComparison.Ordinal));
        return copy;
    }

    private static void Acknowledge(CrashLoopChecker checker, int round, long from, long to)
    {
        var acks = new List<(long Offset, long Seq)>();
        for (long offset = from; offset < to; offset++)
            acks.Add((offset, offset));
        checker.AcceptRun(round, new ChildRun((from, from), acks, Resume: null, Commits: []));
    }

    private static async Task CheckAsync(CrashLoopChecker checker, PowerLossPromises promises, int round, string image, string where)
    {
        try
        {
            await checker.CheckAsync(round, image, promises.CheckAsync);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new AssertionException($"{where}: {e.Message}", e);
        }
    }

    /// <summary>Creates a topic, then appends <paramref name="records"/> one-record batches to its partition 0, each
    /// acknowledged once it returns.</summary>
    private static async Task CreateTopicAsync(Broker broker, PowerLossPromises promises, string name, int partitions, int records,
        Func<Task> checkInside, CancellationToken cancellationToken)
    {
        Topic topic = await broker.CreateTopicAsync(name, PowerLossPromises.TopicRecordsConfig(partitions), cancellationToken);
        await checkInside();
        promises.TopicCreated(name, partitions, 0);
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < records; i++)
        {
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes(name), PowerLossPromises.TopicValue(name, i));
            await topic.Partitions[0].AppendAsync(builder.Build(), cancellationToken);
            builder.Reset();
            await checkInside();
            promises.TopicCreated(name, partitions, i + 1);
        }
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
        if (figures.Case == "topics")
            Assert.That(figures.TopicsCreated, Is.GreaterThan(0), $"{figures}: no topic was created.");
        if (figures.Case == "groups")
            Assert.That(figures.CommitsAcknowledged, Is.GreaterThan(0), $"{figures}: no offset was committed.");
        Assert.That(figures.ImagesInsideCalls, Is.GreaterThan(0), $"{figures}: no image was made inside a call.");
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
internal sealed record PowerLossFigures(string Case, int Images, int ImagesInsideCalls, int Recoveries, long AcknowledgedRecords,
    long RecordsVerified, int MaxSegments, long MaxLogStartOffset, long MaxCompactedAway, int TopicsCreated, int CommitsAcknowledged)
{
    public override string ToString() =>
        $"power loss '{Case}': {Images} images between calls and {ImagesInsideCalls} inside, {Recoveries} of them recovered and used, " +
        $"{AcknowledgedRecords} acknowledged records, " +
        $"{RecordsVerified} record reads verified, up to {MaxSegments} segments, log start up to {MaxLogStartOffset}, " +
        $"up to {MaxCompactedAway} records compacted away, {TopicsCreated} topics created, {CommitsAcknowledged} commits acknowledged";
}
