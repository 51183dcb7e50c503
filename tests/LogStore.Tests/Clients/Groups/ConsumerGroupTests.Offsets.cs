using LogStore.Clients.Groups;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

public sealed partial class ConsumerGroupTests
{
    [Test]
    public async Task CommittedOffsets_SurviveDisposingAndReopeningTheBroker()
    {
        Topic topic = await Topic(2);
        await Fill(topic, 0, 10);
        IConsumer<string, string> consumer = Member("g", autoCommit: false);
        await Pump(_broker, "g", consumer);
        consumer.Commit([new TopicPartitionOffset(new TopicPartition("t", 0), 6)]);
        consumer.Commit([new TopicPartitionOffset(new TopicPartition("t", 0), 7), new TopicPartitionOffset(new TopicPartition("t", 1), 3)]);
        await consumer.DisposeAsync();
        await _broker.DisposeAsync();

        _broker = await Open();
        Assert.That(_broker.TryGetTopic(OffsetStore.TopicName, out Topic? offsets), Is.True);
        Assert.That(offsets!.Config.CleanupPolicy, Is.EqualTo(CleanupPolicy.Compact));
        await using IConsumer<string, string> reopened = Member("g", autoCommit: false);
        Assert.That(reopened.Committed(new TopicPartition("t", 0)), Is.EqualTo(7));
        Assert.That(reopened.Committed(new TopicPartition("t", 1)), Is.EqualTo(3));
        Assert.That(GroupCoordinator.For(_broker).Offsets.RecordsLoaded, Is.EqualTo(3), "one record per committed offset");

        var values = Values(await Pump(_broker, "g", reopened));
        Assert.That(values, Is.EquivalentTo(new[] { "p0-7", "p0-8", "p0-9", "p1-3", "p1-4", "p1-5", "p1-6", "p1-7", "p1-8", "p1-9" }));
    }

    [Test]
    public async Task Commit_WithoutArguments_CommitsThePositions()
    {
        Topic topic = await Topic(1);
        await Fill(topic, 0, 5);
        await using IConsumer<string, string> consumer = Member("g", autoCommit: false);
        await Pump(_broker, "g", consumer);
        Assert.That(consumer.Committed(new TopicPartition("t", 0)), Is.Null);

        consumer.Commit();

        Assert.That(consumer.Committed(new TopicPartition("t", 0)), Is.EqualTo(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => consumer.Commit([new TopicPartitionOffset(new TopicPartition("t", 0), -3)]));
    }

    [Test]
    public async Task AutoCommit_EveryIntervalOfTheFakeClock_CommitsInTheNextPoll()
    {
        Topic topic = await Topic(1);
        await Fill(topic, 0, 5);
        await using IConsumer<string, string> consumer = Member("g");
        await Pump(_broker, "g", consumer);
        var tp = new TopicPartition("t", 0);
        Assert.That(consumer.Committed(tp), Is.Null);

        _time.Advance(TimeSpan.FromSeconds(5)); // auto.commit.interval.ms
        Assert.That(consumer.Committed(tp), Is.Null, "the timer only marks the commit as due");
        await consumer.ConsumeAsync(TimeSpan.Zero);

        Assert.That(consumer.Committed(tp), Is.EqualTo(5));
    }

    [Test]
    public async Task AutoCommit_OnDispose_CommitsTheLastPositions()
    {
        Topic topic = await Topic(1);
        await Fill(topic, 0, 5);
        IConsumer<string, string> consumer = Member("g");
        await Pump(_broker, "g", consumer);
        await consumer.DisposeAsync();

        await using IConsumer<string, string> next = Member("g");
        Assert.That(next.Committed(new TopicPartition("t", 0)), Is.EqualTo(5));
    }

    [Test]
    public async Task ManualAssignmentWithAGroup_CommitsAndResumesFromTheCommittedOffset()
    {
        Topic topic = await Topic(1);
        await Fill(topic, 0, 5);
        var options = new ConsumerOptions { GroupId = "standalone", EnableAutoCommit = false };
        var tp = new TopicPartition("t", 0);
        await using (IConsumer<string, string> first = _broker.CreateConsumer<string, string>(options))
        {
            first.Assign([new TopicPartitionOffset(tp, 0)]);
            await first.ConsumeAsync(TimeSpan.Zero);
            await first.ConsumeAsync(TimeSpan.Zero);
            first.Commit();
        }

        await using IConsumer<string, string> second = _broker.CreateConsumer<string, string>(options);
        second.Assign([new TopicPartitionOffset(tp, -1001)]);

        Assert.That(second.Position(tp), Is.EqualTo(2));
        Assert.That((await second.ConsumeAsync(TimeSpan.Zero))!.Message.Value, Is.EqualTo("p0-2"));
    }

    [Test]
    public async Task Commit_PartitionNotOwned_IsFencedAndStoresNothing()
    {
        await Topic(2);
        await using IConsumer<string, string> a = Member("g", autoCommit: false);
        await using IConsumer<string, string> b = Member("g", autoCommit: false);
        await Pump(_broker, "g", a, b);
        TopicPartition bPartition = b.Assignment.Single();

        var error = Assert.Throws<CommitFailedException>(() => a.Commit([new TopicPartitionOffset(bPartition, 1)]));

        Assert.That(error!.GroupId, Is.EqualTo("g"));
        Assert.That(b.Committed(bPartition), Is.Null);
    }
}
