using LogStore.Clients.Groups;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

public sealed partial class ConsumerGroupTests
{
    [Test]
    public async Task ListAndDescribe_NewStore_NeitherCreatesTheOffsetsTopic()
    {
        await Topic(1);

        Assert.That(_broker.ListConsumerGroups(), Is.Empty);
        ConsumerGroupDescription description = _broker.DescribeConsumerGroup("nobody");

        Assert.That(description.Members, Is.Empty);
        Assert.That(description.Partitions, Is.Empty);
        Assert.That(_broker.TryGetTopic(OffsetStore.TopicName, out _), Is.False);
    }

    [Test]
    public async Task Describe_MembersCommitsAndLag_AsKafkaConsumerGroupsShowsThem()
    {
        Topic topic = await Topic(2);
        await Fill(topic, 0, 10);
        IConsumer<string, string> gone = Member("old", autoCommit: false);
        await Pump(_broker, "old", gone);
        gone.Commit([new TopicPartitionOffset(new TopicPartition("t", 0), 4)]);
        await gone.DisposeAsync();
        await using IConsumer<string, string> live = Member("live", autoCommit: false);
        await Pump(_broker, "live", live);
        live.Commit([new TopicPartitionOffset(new TopicPartition("t", 1), 10)]);

        Assert.That(_broker.ListConsumerGroups(), Is.EqualTo(new[] { "live", "old" }));
        ConsumerGroupDescription old = _broker.DescribeConsumerGroup("old");
        Assert.That(old.Members, Is.Empty);
        Assert.That(old.Partitions, Is.EqualTo(new[] { new ConsumerGroupPartition(new TopicPartition("t", 0), 4, 10, 6, null) }));
        ConsumerGroupDescription current = _broker.DescribeConsumerGroup("live");
        string member = current.Members.Single().MemberId;
        Assert.That(current.Members.Single().Assignment, Is.EqualTo(new[] { new TopicPartition("t", 0), new TopicPartition("t", 1) }));
        Assert.That(current.Partitions, Is.EqualTo(new[]
        {
            new ConsumerGroupPartition(new TopicPartition("t", 0), null, 10, null, member),
            new ConsumerGroupPartition(new TopicPartition("t", 1), 10, 10, 0, member),
        }));
    }
}
