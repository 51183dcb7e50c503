using LogStore.Clients;
using LogStore.Clients.Groups;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients.Groups;

[TestFixture]
public sealed partial class ConsumerGroupTests
{
    private TempDirectory _dir = null!;
    private FakeTimeProvider _time = null!;
    private Broker _broker = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory();
        _time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        _broker = await Open();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _broker.DisposeAsync();
        _dir.Dispose();
    }

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, TimeProvider = _time });

    private IConsumer<string, string> Member(string group, PartitionAssignmentStrategy strategy = PartitionAssignmentStrategy.Range,
        bool autoCommit = true, string topic = "t")
    {
        IConsumer<string, string> consumer = _broker.CreateConsumer<string, string>(new ConsumerOptions
        {
            GroupId = group,
            PartitionAssignmentStrategy = strategy,
            EnableAutoCommit = autoCommit,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeout = TimeSpan.FromSeconds(10),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
        });
        consumer.Subscribe([topic]);
        return consumer;
    }

    private async Task<Topic> Topic(int partitions, string name = "t") =>
        await _broker.CreateTopicAsync(name, new TopicConfig { Partitions = partitions });

    private ConsumerGroup Group(string id) => GroupCoordinator.For(_broker).GetGroup(id);

    /// <summary>Appends <paramref name="perPartition"/> records to each partition, values "p{partition}-{n}".</summary>
    private static async Task Fill(Topic topic, int first, int perPartition)
    {
        foreach (Partition p in topic.Partitions)
            await AppendTagged(p, $"p{p.Id.Partition}", first, perPartition);
    }

    private static IEnumerable<string> Expected(Topic topic, int count) =>
        topic.Partitions.SelectMany(p => Enumerable.Range(0, count).Select(i => $"p{p.Id.Partition}-{i}"));

    private static void AssertPartitionsSharedExactlyOnce(Topic topic, params IConsumer<string, string>[] consumers)
    {
        var all = consumers.SelectMany(c => c.Assignment).ToList();
        Assert.That(all, Is.Unique, "a partition is assigned to two members");
        Assert.That(all, Is.EquivalentTo(topic.Partitions.Select(p => p.Id)), "every partition has an owner");
    }

    [Test]
    public async Task Subscribe_TwoMembers_SplitTheRangesOfTheTopic()
    {
        Topic topic = await Topic(4);
        await using IConsumer<string, string> a = Member("g");
        await using IConsumer<string, string> b = Member("g");

        await Pump(_broker, "g", a, b);

        Assert.That(a.Assignment, Is.EquivalentTo(new[] { new TopicPartition("t", 0), new TopicPartition("t", 1) }));
        Assert.That(b.Assignment, Is.EquivalentTo(new[] { new TopicPartition("t", 2), new TopicPartition("t", 3) }));
        Assert.That(a.GroupId, Is.EqualTo("g"));
    }

    [TestCase(PartitionAssignmentStrategy.Range)]
    [TestCase(PartitionAssignmentStrategy.RoundRobin)]
    [TestCase(PartitionAssignmentStrategy.CooperativeSticky)]
    public async Task Rebalance_TwoThenThreeThenOneMembers_EveryPartitionOnceAndEveryRecordOnce(PartitionAssignmentStrategy strategy)
    {
        Topic topic = await Topic(6);
        var seen = new List<string>();
        await Fill(topic, 0, 10);
        IConsumer<string, string> a = Member("g", strategy);
        IConsumer<string, string> b = Member("g", strategy);
        seen.AddRange(Values(await Pump(_broker, "g", a, b)));
        AssertPartitionsSharedExactlyOnce(topic, a, b);

        await Fill(topic, 10, 10);
        await using IConsumer<string, string> c = Member("g", strategy);
        seen.AddRange(Values(await Pump(_broker, "g", a, b, c)));
        AssertPartitionsSharedExactlyOnce(topic, a, b, c);
        Assert.That(new[] { a, b, c }.Select(x => x.Assignment.Count), Is.All.EqualTo(2));

        await Fill(topic, 20, 10);
        seen.AddRange(Values(await Drain(a)));
        await a.DisposeAsync();
        seen.AddRange(Values(await Drain(b)));
        await b.DisposeAsync();
        seen.AddRange(Values(await Pump(_broker, "g", c)));
        AssertPartitionsSharedExactlyOnce(topic, c);

        await Fill(topic, 30, 10);
        seen.AddRange(Values(await Pump(_broker, "g", c)));
        // Auto-commit on revoke and on leaving hands each partition over at the exact position: nothing repeats.
        Assert.That(seen, Is.EquivalentTo(Expected(topic, 40)));
    }

    [Test]
    public async Task Rebalance_WithoutCommitOnRevoke_RepeatsOnlyTheUncommittedWindow()
    {
        Topic topic = await Topic(2);
        await Fill(topic, 0, 10);
        IConsumer<string, string> a = Member("g", autoCommit: false);
        await Pump(_broker, "g", a);
        a.Commit(); // everything consumed so far is committed
        await Fill(topic, 10, 10);
        var uncommitted = Values(await Drain(a)); // consumed, never committed

        await using IConsumer<string, string> b = Member("g", autoCommit: false);
        var afterRebalance = Values(await Pump(_broker, "g", a, b));

        Assert.That(uncommitted, Has.Count.EqualTo(20));
        Assert.That(afterRebalance, Is.EquivalentTo(uncommitted), "exactly the uncommitted window is delivered again, nothing earlier");
        await a.DisposeAsync();
    }

    [Test]
    public async Task Rebalance_Eager_RevokesEverythingThenAssignsTheNewRanges()
    {
        await Topic(4);
        var revoked = new List<IReadOnlyList<TopicPartition>>();
        var assigned = new List<IReadOnlyList<TopicPartition>>();
        await using IConsumer<string, string> a = Member("g");
        a.PartitionsRevoked += list => revoked.Add([.. list]);
        a.PartitionsAssigned += list => assigned.Add([.. list]);
        await Pump(_broker, "g", a);

        await using IConsumer<string, string> b = Member("g");
        await Pump(_broker, "g", a, b);

        Assert.That(assigned, Has.Count.EqualTo(2));
        Assert.That(assigned[0], Has.Count.EqualTo(4));
        Assert.That(revoked.Single(), Has.Count.EqualTo(4), "the eager protocol revokes the whole assignment");
        Assert.That(assigned[1], Is.EqualTo(new[] { new TopicPartition("t", 0), new TopicPartition("t", 1) }));
    }

    [Test]
    public async Task Rebalance_CooperativeSticky_RevokesAndAssignsOnlyThePartitionsThatMove()
    {
        await Topic(6);
        var events = new List<string>();
        await using IConsumer<string, string> a = Member("g", PartitionAssignmentStrategy.CooperativeSticky);
        await using IConsumer<string, string> b = Member("g", PartitionAssignmentStrategy.CooperativeSticky);
        await Pump(_broker, "g", a, b);
        List<TopicPartition> aBefore = [.. a.Assignment], bBefore = [.. b.Assignment];
        foreach ((IConsumer<string, string> consumer, string name) in new[] { (a, "a"), (b, "b") })
        {
            consumer.PartitionsRevoked += list => events.Add($"{name}-revoked:{list.Count}");
            consumer.PartitionsAssigned += list => events.Add($"{name}-assigned:{list.Count}");
        }

        await using IConsumer<string, string> c = Member("g", PartitionAssignmentStrategy.CooperativeSticky);
        var cAssigned = new List<TopicPartition>();
        c.PartitionsAssigned += list => cAssigned.AddRange(list);
        await Pump(_broker, "g", a, b, c);

        Assert.That(events, Is.EquivalentTo(new[] { "a-revoked:1", "b-revoked:1" }), "a and b keep two partitions each without a pause");
        Assert.That(a.Assignment, Is.SubsetOf(aBefore));
        Assert.That(b.Assignment, Is.SubsetOf(bBefore));
        Assert.That(cAssigned, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task TwoGroups_EachSeesEveryRecord()
    {
        Topic topic = await Topic(4);
        await Fill(topic, 0, 25);
        await using IConsumer<string, string> g1a = Member("g1");
        await using IConsumer<string, string> g1b = Member("g1");
        await using IConsumer<string, string> g2 = Member("g2");

        var first = Values(await Pump(_broker, "g1", g1a, g1b));
        var second = Values(await Pump(_broker, "g2", g2));

        Assert.That(first, Is.EquivalentTo(Expected(topic, 25)));
        Assert.That(second, Is.EquivalentTo(Expected(topic, 25)));
    }

    [Test]
    public async Task Subscribe_DifferentStrategyInTheSameGroup_ThrowsInconsistentGroupProtocol()
    {
        await Topic(2);
        await using IConsumer<string, string> a = Member("g");

        var e = Assert.Throws<InconsistentGroupProtocolException>(() => Member("g", PartitionAssignmentStrategy.RoundRobin));
        Assert.That((e!.GroupId, e.GroupStrategy, e.MemberStrategy), Is.EqualTo(("g", "range", "roundrobin")));
        Assert.That(e.Message, Does.Contain("range").And.Contain("roundrobin"));
        await Pump(_broker, "g", a);
        Assert.That(a.Assignment, Has.Count.EqualTo(2), "the group goes on as before");
    }

    [Test]
    public async Task ConsumeAsync_MemberWaitingForRecords_HandsOverWhenAnotherJoins()
    {
        await Topic(2);
        await using IConsumer<string, string> a = Member("g");
        await Pump(_broker, "g", a);
        Task<ConsumeResult<string, string>?> waiting = a.ConsumeAsync(TimeSpan.FromMinutes(5)).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);

        var reassigned = new TaskCompletionSource<IReadOnlyList<TopicPartition>>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.PartitionsAssigned += list => reassigned.TrySetResult([.. list]);

        await using IConsumer<string, string> b = Member("g");
        // a wakes inside its wait, revokes both partitions and takes its new range; b then takes the one a released.
        Assert.That(await reassigned.Task.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(new[] { new TopicPartition("t", 0) }));
        await Pump(_broker, "g", b);

        Assert.That(IsSettled(Group("g")), Is.True);
        Assert.That(waiting.IsCompleted, Is.False, "a keeps waiting for records of its new assignment");
        Assert.That(a.Assignment, Is.EqualTo(new[] { new TopicPartition("t", 0) }));
        await AppendTagged((await _broker.GetOrCreateTopicAsync("t")).Partitions[0], "x", 0, 1);
        Assert.That((await waiting.WaitAsync(TimeSpan.FromSeconds(30)))!.Message.Value, Is.EqualTo("x-0"));
    }
}
