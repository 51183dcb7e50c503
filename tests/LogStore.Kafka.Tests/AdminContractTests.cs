using LogStore.Kafka.Tests.TestSupport;

namespace LogStore.Kafka.Tests;

/// <summary>IClientSupplier's admin operations, embedded and through Confluent's AdminClient: topics with partitions
/// and retention, delete records, list and describe groups with their lag.</summary>
[TestFixture(ClientMode.Embedded)]
[TestFixture(ClientMode.Kafka)]
[NonParallelizable]
public sealed class AdminContractTests(ClientMode mode) : ContractFixture(mode)
{
    [Test]
    public async Task CreateTopicAsync_PartitionsAndRetention_AreTheTopics()
    {
        await Clients.CreateTopicAsync("audit", new TopicConfig
        {
            Partitions = 3,
            RetentionTime = TimeSpan.FromHours(2),
            RetentionBytes = 1 << 20,
            CleanupPolicy = CleanupPolicy.CompactAndDelete,
        }, Deadline);
        Assert.That(Broker.TryGetTopic("audit", out Topic? topic));
        Assert.That(topic!.Partitions, Has.Count.EqualTo(3));
        Assert.That((topic.Config.RetentionTime, topic.Config.RetentionBytes, topic.Config.CleanupPolicy),
            Is.EqualTo(((TimeSpan?)TimeSpan.FromHours(2), (long?)(1 << 20), CleanupPolicy.CompactAndDelete)));
    }

    [Test]
    public async Task PartitionsForAsync_ListsEveryPartitionAndRefusesAnUnknownTopic()
    {
        await CreateTopic("orders", partitions: 4);
        Assert.That(await Clients.PartitionsForAsync("orders", Deadline), Is.EqualTo(Enumerable.Range(0, 4).Select(p => new TopicPartition("orders", p))));
        var e = Assert.ThrowsAsync<UnknownTopicException>(async () => await Clients.PartitionsForAsync("missing", Deadline));
        Assert.That(e!.Topic, Is.EqualTo("missing"));
    }

    [Test]
    public async Task CreateTopicAsync_Existing_ThrowsTopicExists()
    {
        await CreateTopic("audit");
        var e = Assert.ThrowsAsync<TopicExistsException>(async () => await Clients.CreateTopicAsync("audit", null, Deadline));
        Assert.That(e!.Topic, Is.EqualTo("audit"));
    }

    [Test]
    public async Task DeleteTopicAsync_ThenProduce_UnknownTopic()
    {
        await CreateTopic("gone");
        await Clients.DeleteTopicAsync("gone", Deadline);
        Assert.That(Broker.TryGetTopic("gone", out _), Is.False);
        Assert.ThrowsAsync<UnknownTopicException>(async () => await Clients.DeleteTopicAsync("gone", Deadline));
    }

    [Test]
    public async Task DeleteRecordsAsync_BeyondTheEnd_ThrowsOffsetOutOfRange()
    {
        await CreateTopic("logs");
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
            await producer.ProduceAsync("logs", new Message<string, string> { Key = "k", Value = "v" }, Deadline);
        Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await Clients.DeleteRecordsAsync(new TopicPartition("logs", 0), 5, Deadline));
        Assert.That(await Clients.DeleteRecordsAsync(new TopicPartition("logs", 0), 1, Deadline), Is.EqualTo(1));
        Assert.ThrowsAsync<UnknownTopicException>(async () => await Clients.DeleteRecordsAsync(new TopicPartition("nope", 0), 0, Deadline));
    }

    [Test]
    public async Task DescribeConsumerGroupAsync_CommittedGroup_ListsMembersOffsetsAndLag()
    {
        await CreateTopic("orders", partitions: 2);
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
        {
            for (int i = 0; i < 10; i++)
                producer.Produce(new TopicPartition("orders", i % 2), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync(Deadline);
        }
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(GroupOptions("billing"));
        consumer.Subscribe(["orders"]);
        await PollUntil([consumer], () => consumer.Assignment.Count == 2, () => $"assignment [{string.Join(',', consumer.Assignment)}]");
        consumer.Commit([new TopicPartitionOffset(new TopicPartition("orders", 0), 3), new TopicPartitionOffset(new TopicPartition("orders", 1), 5)]);

        Assert.That(await Clients.ListConsumerGroupsAsync(Deadline), Does.Contain("billing"));
        ConsumerGroupDescription description = await Clients.DescribeConsumerGroupAsync("billing", Deadline);
        Assert.That(description.Members, Has.Count.EqualTo(1));
        Assert.That(description.Members[0].Assignment, Is.EqualTo(new[] { new TopicPartition("orders", 0), new TopicPartition("orders", 1) }));
        Assert.That(description.Partitions.Select(p => (p.TopicPartition.Partition, p.CommittedOffset, p.LogEndOffset, p.Lag, p.MemberId)),
            Is.EqualTo(new[]
            {
                (0, (long?)3, (long?)5, (long?)2, description.Members[0].MemberId),
                (1, (long?)5, (long?)5, (long?)0, description.Members[0].MemberId),
            }));
    }
}
