using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

/// <summary>Broker.CreatePartitionsAsync: subscribed groups rebalance so that the new partitions get assigned.</summary>
public sealed partial class ConsumerGroupTests
{
    [Test]
    public async Task CreatePartitions_SubscribedGroup_RebalancesAndConsumesTheNewPartitions()
    {
        await Topic(1);
        await using IConsumer<string, string> a = Member("g");
        await using IConsumer<string, string> b = Member("g");
        await Pump(_broker, "g", a, b);
        Assert.That(a.Assignment.Concat(b.Assignment), Is.EquivalentTo(new[] { new TopicPartition("t", 0) }));
        int generation = Group("g").Generation;

        Topic grown = await _broker.CreatePartitionsAsync("t", 4);
        await Fill(grown, 0, 3);
        List<ConsumeResult<string, string>> consumed = await Pump(_broker, "g", a, b);

        Assert.That(Group("g").Generation, Is.GreaterThan(generation), "the group rebalanced");
        AssertPartitionsSharedExactlyOnce(grown, a, b);
        Assert.That(a.Assignment, Is.Not.Empty);
        Assert.That(b.Assignment, Is.Not.Empty);
        Assert.That(consumed.Select(r => r.Message.Value), Is.EquivalentTo(Expected(grown, 3)));
    }

    [Test]
    public async Task CreatePartitions_GroupOfAnotherTopic_DoesNotRebalance()
    {
        await Topic(1);
        await Topic(1, "other");
        await using IConsumer<string, string> a = Member("g", topic: "other");
        await Pump(_broker, "g", a);
        int generation = Group("g").Generation;

        await _broker.CreatePartitionsAsync("t", 2);

        Assert.That(Group("g").Generation, Is.EqualTo(generation));
    }
}
