using LogStore.Tests.TestSupport;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients;

/// <summary>The calls a Confluent.Kafka user reaches for: result fields, stored offsets, pause, incremental
/// assignment, watermarks, lookups by time and end-of-partition events.</summary>
public sealed partial class ConsumerTests
{
    private IConsumer<string, string> Grouped(bool autoOffsetStore = true, bool eof = false) =>
        Create(new ConsumerOptions
        {
            GroupId = "g",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = autoOffsetStore,
            EnablePartitionEof = eof,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        });

    [Test]
    public async Task ConsumeResult_TopicPartitionAndTopicPartitionOffset_NameWhereItCameFrom()
    {
        Partition p = (await Topic(partitions: 2)).Partitions[1];
        await Append(p, 0, 3);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 2)]);

        ConsumeResult<string, string> result = (await consumer.ConsumeAsync(TimeSpan.Zero))!;

        Assert.That((result.Topic, result.Partition, result.TopicPartitionOffset), Is.EqualTo(("t", 1, new TopicPartitionOffset(p.Id, 2))));
        Assert.That(result.IsPartitionEOF, Is.False);
    }

    [Test]
    public async Task CommitOfAResult_StoresTheNextOffset()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 5);
        await using IConsumer<string, string> consumer = Grouped();
        consumer.Assign([new TopicPartitionOffset(p.Id, Offset.Beginning)]);
        await consumer.ConsumeAsync(TimeSpan.Zero);
        ConsumeResult<string, string> second = (await consumer.ConsumeAsync(TimeSpan.Zero))!;

        consumer.Commit(second);

        Assert.That(consumer.Committed(p.Id), Is.EqualTo(2));
    }

    [Test]
    public async Task StoreOffset_WithAutoStoreOff_IsWhatCommitStores()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 5);
        await using IConsumer<string, string> consumer = Grouped(autoOffsetStore: false);
        consumer.Assign([new TopicPartitionOffset(p.Id, Offset.Beginning)]);
        List<ConsumeResult<string, string>> all = await Drain(consumer);
        consumer.Commit();
        Assert.That(consumer.Committed(p.Id), Is.Null, "nothing was stored, so nothing is committed");

        consumer.StoreOffset(all[1]);
        consumer.Commit();

        Assert.That(consumer.Committed(p.Id), Is.EqualTo(2), "the stored offset, not the position (5)");
    }

    [Test]
    public async Task StoreOffset_WithAutoStoreOn_ThrowsNamingTheSetting()
    {
        Partition p = (await Topic()).Partitions[0];
        await using IConsumer<string, string> consumer = Grouped();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        var e = Assert.Throws<InvalidOperationException>(() => consumer.StoreOffset(new TopicPartitionOffset(p.Id, 1)));

        Assert.That(e!.Message, Does.Contain("EnableAutoOffsetStore"));
    }

    [Test]
    public async Task Pause_SkipsThePartitionUntilResumed_KeepingItsPosition()
    {
        Topic topic = await Topic(partitions: 2);
        await Append(topic.Partitions[0], 0, 3);
        await Append(topic.Partitions[1], 0, 3);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, 0)));
        await consumer.ConsumeAsync(TimeSpan.Zero);

        consumer.Pause([topic.Partitions[0].Id]);
        List<ConsumeResult<string, string>> whilePaused = await Drain(consumer);
        consumer.Resume([topic.Partitions[0].Id]);
        List<ConsumeResult<string, string>> afterResume = await Drain(consumer);

        Assert.That(whilePaused.Select(r => r.Partition).Distinct(), Is.EqualTo(new[] { 1 }));
        Assert.That(afterResume.Select(r => r.TopicPartitionOffset),
            Is.EqualTo(new[] { 1L, 2L }.Select(o => new TopicPartitionOffset(topic.Partitions[0].Id, o))));
        Assert.Throws<InvalidOperationException>(() => consumer.Pause([new TopicPartition("t", 5)]));
    }

    [Test]
    public async Task IncrementalAssignAndUnassign_ChangeOnlyThePartitionsNamed()
    {
        Topic topic = await Topic(partitions: 3);
        foreach (Partition p in topic.Partitions)
            await Append(p, 0, 2);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(topic.Partitions[0].Id, 1)]);

        consumer.IncrementalAssign([new TopicPartitionOffset(topic.Partitions[2].Id, Offset.Beginning)]);
        Assert.That(consumer.Assignment, Is.EquivalentTo(new[] { topic.Partitions[0].Id, topic.Partitions[2].Id }));
        Assert.That(consumer.Position(topic.Partitions[0].Id), Is.EqualTo(1), "the partition already assigned kept its position");
        Assert.Throws<InvalidOperationException>(() => consumer.IncrementalAssign([new TopicPartitionOffset(topic.Partitions[2].Id, 0)]));

        consumer.IncrementalUnassign([topic.Partitions[0].Id]);

        Assert.That(consumer.Assignment, Is.EqualTo(new[] { topic.Partitions[2].Id }));
        Assert.That((await Drain(consumer)).Select(r => r.Offset), Is.EqualTo(new long[] { 0, 1 }));
    }

    [Test]
    public async Task WatermarksAndOffsetsForTimes_AnswerFromTheLog()
    {
        Topic topic = await Topic(partitions: 2);
        Partition p = topic.Partitions[0];
        await Append(p, 0, 4, timestamp: Batches.BaseTime);
        await Append(p, 4, 4, timestamp: Batches.BaseTime + 1000);
        await using IConsumer<string, string> consumer = Create();

        Assert.That(consumer.GetWatermarkOffsets(p.Id), Is.EqualTo(new WatermarkOffsets(0, 8)));
        Assert.That(consumer.QueryWatermarkOffsets(topic.Partitions[1].Id, TimeSpan.FromSeconds(1)), Is.EqualTo(new WatermarkOffsets(0, 0)));
        List<TopicPartitionOffset> found = consumer.OffsetsForTimes(
        [
            new TopicPartitionTimestamp(p.Id, DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 500)),
            new TopicPartitionTimestamp(p.Id, DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 99_000)),
        ], TimeSpan.FromSeconds(1));
        Assert.That(found, Is.EqualTo(new[] { new TopicPartitionOffset(p.Id, 4), new TopicPartitionOffset(p.Id, Offset.End) }));
        Assert.Throws<UnknownTopicException>(() => consumer.GetWatermarkOffsets(new TopicPartition("t", 9)));
    }

    [Test]
    public async Task PartitionEof_ReportedOncePerCatchUp_WhenEnabled()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 2);
        await using IConsumer<string, string> consumer = Grouped(eof: true);
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        List<ConsumeResult<string, string>> first = await Drain(consumer);
        await Append(p, 2, 1);
        List<ConsumeResult<string, string>> second = await Drain(consumer);

        Assert.That(first.Select(r => (r.Offset, r.IsPartitionEOF)), Is.EqualTo(new[] { (0L, false), (1L, false), (2L, true) }));
        Assert.That(first[^1].Message, Is.Null);
        Assert.That(second.Select(r => (r.Offset, r.IsPartitionEOF)), Is.EqualTo(new[] { (2L, false), (3L, true) }));
    }

    [Test]
    public async Task ProduceToATopicPartition_LandsThereOrReportsAnUnknownPartition()
    {
        Topic topic = await Topic(partitions: 3);
        await using IProducer<string, string> producer = _broker.CreateProducer<string, string>();
        var reports = new List<DeliveryReport>();

        producer.Produce(new TopicPartition("t", 2), new Message<string, string> { Key = "k", Value = "v" }, reports.Add);
        producer.Produce(new TopicPartition("t", 7), new Message<string, string> { Key = "k", Value = "v" }, reports.Add);
        await producer.FlushAsync();

        Assert.That(topic.Partitions[2].LogEndOffset, Is.EqualTo(1));
        Assert.That(reports.Select(r => r.TopicPartition.Partition), Is.EquivalentTo(new[] { 2, 7 }));
        Assert.That(reports.Single(r => r.TopicPartition.Partition == 7).Error, Is.TypeOf<UnknownTopicException>());
    }
}
