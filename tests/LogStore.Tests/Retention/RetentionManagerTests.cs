using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

[TestFixture]
public sealed class RetentionManagerTests : RetentionFixture
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>Appends <paramref name="batches"/> batches of 4 records, the n-th stamped <c>BaseTime + n minutes</c>,
    /// into segments of about two batches.</summary>
    private static async Task<Partition> Fill(Broker broker, int batches, TopicConfig? config = null)
    {
        Topic topic = await broker.CreateTopicAsync("t", config ?? new TopicConfig { SegmentBytes = 300, RetentionTime = Hour });
        Partition p = topic.Partitions[0];
        for (int i = 0; i < batches; i++)
            await p.AppendAsync(Batches.Batch(Batches.Make(i * 4, 4, Batches.BaseTime + i * 60_000L)));
        await Settle(p);
        return p;
    }

    [Test]
    public async Task RunOnce_SegmentsOlderThanRetentionTime_DeletesThemOldestFirstAndPersistsLogStart()
    {
        long logStart;
        await using (Broker broker = await Open())
        {
            Partition p = await Fill(broker, 10);
            int segments = p.Segments.Count;
            Assert.That(segments, Is.GreaterThanOrEqualTo(4));
            // Batches 0-3 are older than an hour at BaseTime + 64 minutes; batch 4 on are not.
            Time.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 64 * 60_000L + 30_000));

            int deleted = broker.Retention.RunOnce();

            Assert.That(deleted, Is.GreaterThan(0));
            Assert.That(p.Segments, Has.Count.EqualTo(segments - deleted));
            Assert.That(p.Segments.All(s => s.LargestTimestamp >= Batches.BaseTime + 4 * 60_000L), Is.True, "only expired segments went");
            Assert.That(p.Segments[0].BaseOffset, Is.LessThanOrEqualTo(16), "the segment holding batch 4 stays");
            logStart = p.LogStartOffset;
            Assert.That(logStart, Is.EqualTo(p.Segments[0].BaseOffset));
            Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await p.ReadAsync(logStart - 1, 1024));
            var records = await Batches.ReadAll(p);
            Assert.That(records[0].Offset, Is.EqualTo(logStart));
            Assert.That(records[^1].Offset, Is.EqualTo(39));
            Assert.That(Directory.GetFiles(Dir.Combine("t-0"), "*.deleted"), Is.Empty, "no reader held them: deleted at once");
        }
        await using (Broker reopened = await Open())
        {
            Partition p = reopened.Topics.Single().Partitions[0];
            Assert.That(p.LogStartOffset, Is.EqualTo(logStart));
            Assert.That(p.LogEndOffset, Is.EqualTo(40));
        }
    }

    [Test]
    public async Task RunOnce_ActiveSegmentExpiredToo_RollsItAndDeletesEverything()
    {
        await using Broker broker = await Open();
        Partition p = await Fill(broker, 5);
        Time.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime) + TimeSpan.FromDays(1));

        broker.Retention.RunOnce();

        Assert.That(p.Segments, Has.Count.EqualTo(1));
        Assert.That((p.Segments[0].BaseOffset, p.Segments[0].SizeInBytes), Is.EqualTo((20L, 0L)), "an empty active segment at the log end");
        Assert.That((p.LogStartOffset, p.LogEndOffset), Is.EqualTo((20L, 20L)));
        Assert.That((await p.AppendAsync(Batches.Batch(Batches.Make(20, 1, Time.GetUtcNow().ToUnixTimeMilliseconds())))).BaseOffset, Is.EqualTo(20));
        Assert.That(broker.Retention.RunOnce(), Is.Zero, "the fresh segment is young");
    }

    [Test]
    public async Task RunOnce_NothingExpired_DeletesNothing()
    {
        await using Broker broker = await Open();
        Partition p = await Fill(broker, 10);
        long[] before = BaseOffsets(p);

        Assert.That(broker.Retention.RunOnce(), Is.Zero);
        Assert.That(BaseOffsets(p), Is.EqualTo(before));
        Assert.That(p.LogStartOffset, Is.Zero);
    }

    [Test]
    public async Task RunOnce_PartitionLargerThanRetentionBytes_DeletesOldestWhileItStaysAboveTheLimit()
    {
        await using Broker broker = await Open();
        Partition p = await Fill(broker, 12, new TopicConfig { SegmentBytes = 300, RetentionTime = null, RetentionBytes = 700 });
        long total = p.Segments.Sum(s => s.SizeInBytes);

        broker.Retention.RunOnce();

        long after = p.Segments.Sum(s => s.SizeInBytes);
        Assert.That(after, Is.LessThan(total));
        Assert.That(after, Is.GreaterThanOrEqualTo(700 - p.Segments[0].SizeInBytes), "no segment more than needed");
        Assert.That(after - p.Segments[0].SizeInBytes, Is.LessThan(700), "deleting the next one would go below the limit");
        Assert.That(p.LogStartOffset, Is.EqualTo(p.Segments[0].BaseOffset));
    }

    [Test]
    public async Task RunOnce_CompactedTopic_KeepsSegmentsPastRetentionTime()
    {
        await using Broker broker = await Open();
        Partition p = await Fill(broker, 6, new TopicConfig { SegmentBytes = 300, RetentionTime = Hour, CleanupPolicy = CleanupPolicy.Compact, MinCleanableDirtyRatio = 1 });
        long[] before = BaseOffsets(p);
        Time.Advance(TimeSpan.FromDays(2));

        Assert.That(broker.Retention.RunOnce(), Is.Zero);
        Assert.That(BaseOffsets(p), Is.EqualTo(before));
    }

    [Test]
    public async Task Background_RetentionCheckIntervalPasses_DeletesExpiredSegments()
    {
        await using Broker broker = await Open(interval: TimeSpan.FromMinutes(5));
        Partition p = await Fill(broker, 6);
        Time.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime) + TimeSpan.FromDays(1));
        Task run = broker.Retention.NextRunCompleted;

        Time.Advance(TimeSpan.FromMinutes(5));
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That((p.LogStartOffset, p.LogEndOffset), Is.EqualTo((24L, 24L)));
    }

    [Test]
    public async Task DeleteRecordsAsync_OffsetInsideASegment_MovesLogStartAndDeletesOnlyWholeSegmentsBelow()
    {
        await using (Broker broker = await Open())
        {
            Partition p = await Fill(broker, 10);
            long[] bases = BaseOffsets(p);
            long before = bases[2] + 1;

            long logStart = await broker.DeleteRecordsAsync(p.Id, before);

            Assert.That(logStart, Is.EqualTo(before));
            Assert.That(p.LogStartOffset, Is.EqualTo(before));
            Assert.That(BaseOffsets(p), Is.EqualTo(bases[2..]), "the segment holding the new log start stays");
            Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await p.ReadAsync(before - 1, 1024));
            Assert.That((await Batches.ReadAll(p))[0].Offset, Is.EqualTo(before));
            Assert.That(await broker.DeleteRecordsAsync(p.Id, 3), Is.EqualTo(before), "an offset below the log start changes nothing");
        }
        await using (Broker reopened = await Open())
            Assert.That(reopened.Topics.Single().Partitions[0].LogStartOffset, Is.EqualTo(BaseOffsetsAfterReopen(reopened)));

        static long BaseOffsetsAfterReopen(Broker b) => b.Topics.Single().Partitions[0].LogStartOffset;
    }

    [Test]
    public async Task DeleteRecordsAsync_HighWatermark_EmptiesTheLog()
    {
        await using Broker broker = await Open();
        Partition p = await Fill(broker, 6);

        Assert.That(await broker.DeleteRecordsAsync(p.Id, p.HighWatermark), Is.EqualTo(24));
        Assert.That(p.Segments, Has.Count.EqualTo(1), "only the active segment, which is never deleted while active");
        Assert.That((await p.ReadAsync(24, 1024)).IsEmpty, Is.True);
    }

    [Test]
    public async Task DeleteRecordsAsync_PersistedLogStart_SurvivesReopen()
    {
        await using (Broker broker = await Open())
        {
            Partition p = await Fill(broker, 10);
            await broker.DeleteRecordsAsync(p.Id, 13);
        }
        await using Broker reopened = await Open();
        Partition again = reopened.Topics.Single().Partitions[0];
        Assert.That(again.LogStartOffset, Is.EqualTo(13));
        Assert.That((await Batches.ReadAll(again))[0].Offset, Is.EqualTo(13));
    }

    [Test]
    public async Task DeleteRecordsAsync_InvalidArguments_Throw()
    {
        await using Broker broker = await Open();
        Partition p = await Fill(broker, 2);

        Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await broker.DeleteRecordsAsync(p.Id, 9));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await broker.DeleteRecordsAsync(p.Id, -1));
        Assert.ThrowsAsync<UnknownTopicException>(async () => await broker.DeleteRecordsAsync(new TopicPartition("t", 1), 0));
        Assert.ThrowsAsync<UnknownTopicException>(async () => await broker.DeleteRecordsAsync(new TopicPartition("nope", 0), 0));
    }
}
