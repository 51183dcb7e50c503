using LogStore.Kafka.Tests.TestSupport;

namespace LogStore.Kafka.Tests;

/// <summary>Consumer groups, embedded and through Confluent.Kafka: members sharing partitions with rebalance callbacks,
/// commits and resuming after them.</summary>
[TestFixture(ClientMode.Embedded)]
[TestFixture(ClientMode.Kafka)]
[NonParallelizable]
public sealed class GroupContractTests(ClientMode mode) : ContractFixture(mode)
{
    [TestCase(PartitionAssignmentStrategy.Range)]
    [TestCase(PartitionAssignmentStrategy.CooperativeSticky)]
    public async Task Subscribe_ThreeMembers_SharePartitionsWithCallbacks(PartitionAssignmentStrategy strategy)
    {
        await CreateTopic("orders", partitions: 6);
        var owned = new Dictionary<string, HashSet<int>>();
        var revokedCalls = new Dictionary<string, int>();
        var consumers = new List<IConsumer<string, string>>();
        try
        {
            foreach (string name in new[] { "a", "b", "c" })
            {
                IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(GroupOptions("billing", strategy: strategy));
                owned[name] = [];
                revokedCalls[name] = 0;
                consumer.PartitionsAssigned += ps => owned[name].UnionWith(ps.Select(p => p.Partition));
                consumer.PartitionsRevoked += ps =>
                {
                    owned[name].ExceptWith(ps.Select(p => p.Partition));
                    revokedCalls[name]++;
                };
                consumer.Subscribe(["orders"]);
                consumers.Add(consumer);
                if (name == "a")
                {
                    await PollUntil(consumers, () => owned["a"].Count == 6, () => $"a owns [{string.Join(',', owned["a"])}]");
                }
            }

            string Progress() => string.Join(" ", owned.Select(o => $"{o.Key}:[{string.Join(',', o.Value.Order())}]"));
            await PollUntil(consumers, () => owned.Values.All(o => o.Count == 2)
                && owned.Values.SelectMany(o => o).Order().SequenceEqual(Enumerable.Range(0, 6)), Progress);
            Assert.That(revokedCalls["a"], Is.GreaterThan(0), $"{Mode}: a gave partitions up through PartitionsRevoked");
            for (int i = 0; i < 3; i++)
            {
                Assert.That(consumers[i].Assignment.Select(p => p.Partition).Order(), Is.EqualTo(owned[new[] { "a", "b", "c" }[i]].Order()),
                    "Assignment agrees with the callbacks");
            }

            // One leaves: the two that stay take its partitions over.
            await consumers[2].DisposeAsync();
            consumers.RemoveAt(2);
            await PollUntil(consumers, () => owned["a"].Count + owned["b"].Count == 6 && owned["a"].Count == 3, Progress);
        }
        finally
        {
            foreach (IConsumer<string, string> consumer in consumers)
                await consumer.DisposeAsync();
        }
    }

    [Test]
    public async Task Commit_ThenANewMember_ResumesAfterTheCommit()
    {
        await CreateTopic("jobs");
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
        {
            for (int i = 0; i < 10; i++)
                producer.Produce("jobs", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync(Deadline);
        }

        await using (IConsumer<string, string> first = Clients.CreateConsumer<string, string>(GroupOptions("workers")))
        {
            first.Subscribe(["jobs"]);
            List<ConsumeResult<string, string>> read = await ConsumeCount(first, 4);
            first.Commit(read[^1]);
            Assert.That(first.Committed(new TopicPartition("jobs", 0)), Is.EqualTo(4));
            first.Close();
        }

        await using IConsumer<string, string> second = Clients.CreateConsumer<string, string>(GroupOptions("workers"));
        second.Subscribe(["jobs"]);
        List<ConsumeResult<string, string>> rest = await ConsumeCount(second, 6);
        Assert.That(rest.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(4, 6).Select(i => (long)i)), "nothing before the commit again");
        second.Commit();
        Assert.That(second.Committed(new TopicPartition("jobs", 0)), Is.EqualTo(10), "Commit() stores the positions");
    }

    [Test]
    public async Task StoreOffset_WithAutoOffsetStoreOff_CommitsOnlyWhatWasStored()
    {
        await CreateTopic("jobs");
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
        {
            for (int i = 0; i < 5; i++)
                producer.Produce("jobs", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync(Deadline);
        }
        ConsumerOptions options = GroupOptions("stored");
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions
        {
            GroupId = options.GroupId,
            AutoOffsetReset = options.AutoOffsetReset,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            SessionTimeout = options.SessionTimeout,
            HeartbeatInterval = options.HeartbeatInterval,
        });
        consumer.Subscribe(["jobs"]);
        List<ConsumeResult<string, string>> read = await ConsumeCount(consumer, 5);
        consumer.StoreOffset(read[1]);
        consumer.Commit();
        Assert.That(consumer.Committed(new TopicPartition("jobs", 0)), Is.EqualTo(2));
    }

    [Test]
    public async Task Close_WithAutoCommit_CommitsThePositionsAndRaisesRevoked()
    {
        await CreateTopic("jobs");
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
        {
            for (int i = 0; i < 3; i++)
                producer.Produce("jobs", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync(Deadline);
        }
        IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(GroupOptions("auto", autoCommit: true));
        var revoked = new List<TopicPartition>();
        consumer.PartitionsRevoked += revoked.AddRange;
        consumer.Subscribe(["jobs"]);
        await ConsumeCount(consumer, 3);
        consumer.Close();
        await consumer.DisposeAsync();
        Assert.That(revoked, Is.EqualTo(new[] { new TopicPartition("jobs", 0) }), "revoked once on close");
        ConsumerGroupDescription group = await Clients.DescribeConsumerGroupAsync("auto", Deadline);
        Assert.That(group.Partitions.Single().CommittedOffset, Is.EqualTo(3), "the close committed the positions");
        Assert.That(group.Members, Is.Empty, "the close left the group");
    }

    [Test]
    public async Task Committed_NothingCommitted_IsNull()
    {
        await CreateTopic("jobs");
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(GroupOptions("fresh"));
        Assert.That(consumer.Committed(new TopicPartition("jobs", 0)), Is.Null);
    }

    [Test]
    public void Subscribe_WithoutGroup_ThrowsInvalidOperation()
    {
        IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        try
        {
            Assert.Throws<InvalidOperationException>(() => consumer.Subscribe(["jobs"]));
        }
        finally
        {
            consumer.DisposeAsync().AsTask().Wait(Deadline);
        }
    }
}
