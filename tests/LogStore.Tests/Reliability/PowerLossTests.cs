using System.Text;
using LogStore.CrashHost;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Power loss, which a SIGKILL cannot show (the page cache survives it): a store writes through a
/// <see cref="PowerLossFileSystem"/> while appending the crash loop's records, rolling, and running retention or the
/// cleaner; at seeded-random moments the test builds what a power loss then could leave on disk — only what an fsync
/// covered, or that plus a torn part of what came after — and checks it with the crash loop's checker
/// (<see cref="CrashLoopChecker"/>): it opens, recovers, holds every acknowledged record intact at its offset, returns
/// nothing corrupt, and its indexes agree with its log. See tests/RELIABILITY.md.
/// </summary>
[TestFixture]
public sealed class PowerLossTests
{
    /// <summary>With the crash loop's topics (flush.messages=1: an append returns once fsynced), every append is
    /// acknowledged durable.</summary>
    [TestCase("roll", 15, 30, 6101)]
    [TestCase("retention", 20, 60, 6102)]
    [TestCase("compact", 20, 60, 6103)]
    public Task PowerLoss_EveryAppendFsynced_NoAcknowledgedRecordIsLost(string mode, int losses, int maxAppendsBetween, int seed) =>
        RunAsync(mode, CrashRecords.Config(mode), explicitFlushes: false, losses, maxAppendsBetween, seed);

    /// <summary>Without flush.messages, appends are durable only once a <see cref="Partition.FlushAsync"/> after them has
    /// returned: only those are acknowledged, and the rest may be lost, never half-returned.</summary>
    [Test]
    public Task PowerLoss_FlushedByHand_RecordsBeforeTheLastFlushSurvive() =>
        RunAsync("roll", Unflushed(CrashRecords.Config("roll")), explicitFlushes: true, losses: 15, maxAppendsBetween: 30, seed: 6104);

    private static TopicConfig Unflushed(TopicConfig config) => new()
    {
        SegmentBytes = config.SegmentBytes,
        IndexIntervalBytes = config.IndexIntervalBytes,
        SegmentIndexBytes = config.SegmentIndexBytes,
        RetentionTime = config.RetentionTime,
        FlushMessages = null,
    };

    private static async Task RunAsync(string mode, TopicConfig config, bool explicitFlushes, int losses, int maxAppendsBetween, int seed)
    {
        var random = new Random(seed);
        var files = new PowerLossFileSystem();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        var checker = new CrashLoopChecker(mode);
        bool compact = config.CleanupPolicy != CleanupPolicy.Delete;
        using var store = new TempDirectory();
        // The fake clock never moves, so the background flush and retention loops never run: everything that writes
        // happens in this test's order, and a seed replays it.
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = store.Path, FileSystem = files, TimeProvider = time });
        Partition partition = (await broker.CreateTopicAsync(CrashRecords.Topic, config)).Partitions[0];
        using var builder = new RecordBatchBuilder();
        long durableEnd = 0;
        long next = 0;
        for (int loss = 0; loss < losses; loss++)
        {
            long acknowledgedFrom = durableEnd;
            int appends = random.Next(1, maxAppendsBetween + 1);
            for (int i = 0; i < appends; i++)
            {
                int count = random.Next(1, 9);
                for (int j = 0; j < count; j++)
                    builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes(CrashRecords.Key(next + j, compact)), Encoding.UTF8.GetBytes(CrashRecords.Value(next + j)));
                AppendResult appended = await partition.AppendAsync(builder.Build());
                builder.Reset();
                Assert.That(appended.BaseOffset, Is.EqualTo(next), "the live store assigned an unexpected offset");
                next += count;
                if (!explicitFlushes)
                    durableEnd = next;
                else if (random.Next(4) == 0)
                {
                    await partition.FlushAsync();
                    durableEnd = next;
                }
                if (random.Next(6) == 0)
                    broker.Retention.RunOnce();
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

        TestContext.Out.WriteLine($"power loss '{mode}'{(explicitFlushes ? " (flushed by hand)" : "")}: {losses * 2} images, " +
            $"{checker.AcknowledgedRecords} acknowledged records, {checker.RecordsVerified} record reads verified, up to " +
            $"{checker.MaxSegments} segments, log start up to {checker.MaxLogStartOffset}, up to {checker.MaxCompactedAway} compacted away");
        Assert.That(checker.MaxSegments, Is.GreaterThan(1), "no segment rolled");
        if (mode == "retention")
            Assert.That(checker.MaxLogStartOffset, Is.GreaterThan(0), "retention never deleted a segment");
        if (mode == "compact")
            Assert.That(checker.MaxCompactedAway, Is.GreaterThan(0), "the cleaner never removed a record");
    }
}
