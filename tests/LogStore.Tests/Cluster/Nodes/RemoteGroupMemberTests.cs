using System.Collections.Concurrent;
using LogStore.Clients;
using LogStore.Clients.Groups;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// In-process consumers on nodes that do not coordinate their group: they join it at the coordinator over the Kafka
/// protocol (<see cref="RemoteGroupMember"/>) and share partitions, commits and rebalances with the members there.
/// Each consumer is polled by its own task; every wait is bounded by the test's token.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public partial class RemoteGroupMemberTests
{
    // GroupCoordinationTests.FindCoordinatorAsync looks for this group's coordinator.
    private const string Group = "billing";
    private const string TopicName = "events";
    private const int PartitionCount = 4;
    private const int RecordsPerPartition = 10;

    [TestCase(PartitionAssignmentStrategy.Range)]
    [TestCase(PartitionAssignmentStrategy.CooperativeSticky)]
    public async Task TwoMembersOnTwoNodes_OneNotTheCoordinator_SplitThePartitions_AndReadEveryRecordOnce(PartitionAssignmentStrategy strategy,
        CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        int other = (coordinator + 1) % BrokerCluster.Size;
        await using IConsumer<string, string> local = cluster[coordinator].CreateConsumer<string, string>(Options(strategy));
        await using IConsumer<string, string> remote = cluster[other].CreateConsumer<string, string>(Options(strategy));
        var a = new Reader(local);
        var b = new Reader(remote);
        local.Subscribe([TopicName]);
        await Reader.RunAllAsync([a], () => a.Assignment.Length == PartitionCount, cancellationToken);

        // The member at the coordinator hands two partitions over to the one joining from another node.
        await Task.Run(() => remote.Subscribe([TopicName]), cancellationToken);
        await Reader.RunAllAsync([a, b], () => a.Assignment.Length == 2 && b.Assignment.Length == 2, cancellationToken);
        Assert.That(a.Assignment.Intersect(b.Assignment), Is.Empty, "no partition has two owners");
        Assert.That(a.Assignment.Union(b.Assignment), Is.EquivalentTo(AllPartitions()));
        Assert.That(b.MemberId, Does.StartWith($"consumer-{Group}-"), "the remote consumer is a member named by the coordinator");
        Assert.That(GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group)!.Snapshot().Targets.Keys, Does.Contain(b.MemberId));
        Assert.Throws<CommitFailedException>(() => remote.Commit([new TopicPartitionOffset(a.Assignment[0], 1)]),
            "the coordinator fences a commit of a partition the member does not own");

        await ProduceAsync(cluster[other], cancellationToken);
        await Reader.RunAllAsync([a, b], () => a.Records.Count + b.Records.Count >= PartitionCount * RecordsPerPartition, cancellationToken);

        List<string> values = [.. a.Records.Select(r => r.Message.Value), .. b.Records.Select(r => r.Message.Value)];
        Assert.Multiple(() =>
        {
            Assert.That(values, Is.EquivalentTo(AllValues()), "every record read once, by one of the two");
            Assert.That(a.Records.Select(r => r.TopicPartition).Distinct(), Is.SubsetOf(a.Assignment));
            Assert.That(b.Records.Select(r => r.TopicPartition).Distinct(), Is.SubsetOf(b.Assignment));
        });
    }

    [TestCase(PartitionAssignmentStrategy.Range, 4)]
    [TestCase(PartitionAssignmentStrategy.CooperativeSticky, 2)]
    public async Task WhenAMemberJoinsAtTheCoordinator_ARemoteMemberHandsOverPartitions_AsItsProtocolSays(PartitionAssignmentStrategy strategy,
        int revoked, CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        await using IConsumer<string, string> remote = cluster[(coordinator + 1) % BrokerCluster.Size].CreateConsumer<string, string>(Options(strategy));
        await using IConsumer<string, string> local = cluster[coordinator].CreateConsumer<string, string>(Options(strategy));
        var b = new Reader(remote);
        var a = new Reader(local);
        await Task.Run(() => remote.Subscribe([TopicName]), cancellationToken);
        await Reader.RunAllAsync([b], () => b.Assignment.Length == PartitionCount, cancellationToken);
        TopicPartition[] before = b.Assignment;

        local.Subscribe([TopicName]);
        await Reader.RunAllAsync([a, b], () => a.Assignment.Length == 2 && b.Assignment.Length == 2, cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(a.Assignment.Intersect(b.Assignment), Is.Empty);
            Assert.That(b.Assignment, Is.SubsetOf(before));
            // Eager: everything back before the rejoin; cooperative: only what moves to the new member.
            Assert.That(b.Revoked, Is.EqualTo(revoked), "partitions the remote member revoked");
            Assert.That(b.Assigned, Is.EqualTo(PartitionCount - 2 + revoked), "partitions assigned to it over both generations");
        });
    }

    [Test]
    public async Task Commit_ByAMemberOnANodeThatDoesNotCoordinate_IsStoredAtTheCoordinator(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        int other = (coordinator + 2) % BrokerCluster.Size;
        await using IConsumer<string, string> remote = cluster[other].CreateConsumer<string, string>(Options());
        await Task.Run(() => remote.Subscribe([TopicName]), cancellationToken);
        var b = new Reader(remote);
        await Reader.RunAllAsync([b], () => b.Assignment.Length == PartitionCount, cancellationToken);
        var partition = new TopicPartition(TopicName, 1);

        await Task.Run(() => remote.Commit([new TopicPartitionOffset(partition, 5)]), cancellationToken);

        await using IConsumer<string, string> atCoordinator = cluster[coordinator].CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        Assert.Multiple(() =>
        {
            Assert.That(atCoordinator.Committed(partition), Is.EqualTo(5), "stored in the coordinator's __consumer_offsets");
            Assert.That(remote.Committed(partition), Is.EqualTo(5), "read back through the coordinator");
            Assert.That(GroupCoordinator.For(cluster[other]).Offsets.GroupIds(), Does.Not.Contain(Group), "nothing stored on the member's node");
        });

        // Once it left, its commits are fenced as a local member's: the coordinator no longer knows it.
        var membership = (RemoteGroupMember)((Consumer<string, string>)remote).Member!;
        await Task.Run(remote.Unsubscribe, cancellationToken);
        Assert.Throws<CommitFailedException>(() => membership.Commit([(partition, 6)]));
        Assert.That(atCoordinator.Committed(partition), Is.EqualTo(5), "nothing of the refused commit was stored");
    }

    [Test]
    public async Task WhenOneOfTwoRemoteMembersLeaves_TheOtherEndsUpWithAllPartitions(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        await using IConsumer<string, string> first = cluster[(coordinator + 1) % BrokerCluster.Size].CreateConsumer<string, string>(Options());
        IConsumer<string, string> second = cluster[(coordinator + 2) % BrokerCluster.Size].CreateConsumer<string, string>(Options());
        await Task.Run(() => first.Subscribe([TopicName]), cancellationToken);
        await Task.Run(() => second.Subscribe([TopicName]), cancellationToken);
        var a = new Reader(first);
        var b = new Reader(second);
        await Reader.RunAllAsync([a, b], () => a.Assignment.Length == 2 && b.Assignment.Length == 2, cancellationToken);
        Assert.That(a.Assignment.Intersect(b.Assignment), Is.Empty);

        await Task.Run(async () => await second.DisposeAsync(), cancellationToken);
        long left = System.Diagnostics.Stopwatch.GetTimestamp();
        await Reader.RunAllAsync([a], () => a.Assignment.Length == PartitionCount, cancellationToken);
        TestContext.Out.WriteLine($"the other held every partition {System.Diagnostics.Stopwatch.GetElapsedTime(left).TotalMilliseconds:0} ms after the leave");

        Dictionary<string, List<TopicPartition>> targets = GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group)!.Snapshot().Targets;
        Assert.That(targets.Keys, Is.EquivalentTo(new[] { a.MemberId }), "the one that left is no member any more");
    }

    [Test]
    public async Task Subscribe_WithAnotherStrategyThanTheGroupsMembers_ThrowsInconsistentGroupProtocol(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        await using IConsumer<string, string> local = cluster[coordinator].CreateConsumer<string, string>(Options(PartitionAssignmentStrategy.Range));
        await using IConsumer<string, string> remote = cluster[(coordinator + 1) % BrokerCluster.Size].CreateConsumer<string, string>(
            Options(PartitionAssignmentStrategy.RoundRobin));
        local.Subscribe([TopicName]);

        var e = await Task.Run(() => Assert.Throws<InconsistentGroupProtocolException>(() => remote.Subscribe([TopicName])), cancellationToken);

        Assert.That(e!.GroupId, Is.EqualTo(Group));
        Assert.That(remote.Assignment, Is.Empty);
        Assert.That(GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group)!.Snapshot().Targets, Has.Count.EqualTo(1), "it joined nothing");
    }

    [Test]
    public async Task ARemoteMemberThatStopsPolling_LeavesAfterItsSessionTimeout_AndRejoinsWhenItPollsAgain(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        await using IConsumer<string, string> local = cluster[coordinator].CreateConsumer<string, string>(Options());
        // Shorter than the coordinator's minimum session (6 s): the member's own poll check keeps the consumer's setting.
        await using IConsumer<string, string> remote = cluster[(coordinator + 1) % BrokerCluster.Size].CreateConsumer<string, string>(
            new ConsumerOptions
            {
                GroupId = Group, EnableAutoCommit = false, SessionTimeout = TimeSpan.FromSeconds(1), HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            });
        var a = new Reader(local);
        var b = new Reader(remote);
        local.Subscribe([TopicName]);
        await Task.Run(() => remote.Subscribe([TopicName]), cancellationToken);
        await Reader.RunAllAsync([a, b], () => a.Assignment.Length == 2 && b.Assignment.Length == 2, cancellationToken);
        string before = b.MemberId;

        // Only the member at the coordinator polls now.
        await Reader.RunAllAsync([a], () => a.Assignment.Length == PartitionCount, cancellationToken);
        Assert.That(GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group)!.Snapshot().Targets.Keys, Does.Not.Contain(before));

        await Reader.RunAllAsync([a, b], () => a.Assignment.Length == 2 && b.Assignment.Length == 2 && b.MemberId != before, cancellationToken);
        Assert.That(b.Revoked, Is.EqualTo(2), "its next poll revoked what it held before it rejoined");
    }

    [TestCase(false, TestName = "{m}(the new coordinator is another node)")]
    [TestCase(true, TestName = "{m}(the new coordinator is the member's node)")]
    public async Task WhenTheCoordinatorStops_ARemoteMember_RejoinsAtTheNewCoordinator(bool membersNodeCoordinatesNext, CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        var offsets = new TopicPartition(OffsetStore.TopicName, OffsetCommitCodec.PartitionFor(Group, OffsetStore.PartitionCount));
        // The controller elects the first in-sync replica in the replicas' order: the first survivor leads next.
        int[] survivors = [.. cluster[0].ClusterServices!.Publisher.Applied.GetPartition(offsets)!.Replicas.Where(r => r != coordinator)];
        int other = membersNodeCoordinatesNext ? survivors[0] : survivors[1];
        await using IConsumer<string, string> consumer = cluster[other].CreateConsumer<string, string>(Options());
        await Task.Run(() => consumer.Subscribe([TopicName]), cancellationToken);
        var reader = new Reader(consumer);
        await Reader.RunAllAsync([reader], () => reader.Assignment.Length == PartitionCount, cancellationToken);
        string before = reader.MemberId;

        await cluster.StopAsync(coordinator);
        long stopped = System.Diagnostics.Stopwatch.GetTimestamp();
        await Reader.RunAllAsync([reader], () => reader.MemberId != before && reader.Assignment.Length == PartitionCount, cancellationToken);
        TestContext.Out.WriteLine($"node {coordinator} stopped; the member on node {other} held every partition again " +
            $"{System.Diagnostics.Stopwatch.GetElapsedTime(stopped).TotalMilliseconds:0} ms later");

        await cluster.WaitForAllAsync(image => image.GetPartition(offsets) is { Leader: >= 0 } s && s.Leader != coordinator, cancellationToken);
        int successor = cluster[other].ClusterServices!.Publisher.Applied.GetPartition(offsets)!.Leader;
        Dictionary<string, List<TopicPartition>> targets = GroupCoordinator.For(cluster[successor]).TryGetGroup(Group)!.Snapshot().Targets;
        Assert.That(targets.Keys, Is.EquivalentTo(new[] { reader.MemberId }), $"a member of the group at node {successor}, the new coordinator");
        Assert.That(successor == other, Is.EqualTo(membersNodeCoordinatesNext));
        Assert.That(((Consumer<string, string>)consumer).Member, membersNodeCoordinatesNext ? Is.InstanceOf<GroupMember>() : Is.InstanceOf<RemoteGroupMember>());
        Assert.That(reader.Revoked, Is.EqualTo(PartitionCount), "the lost membership revoked its partitions before the rejoin");
    }

    [Test]
    public async Task ARemoteMemberCutOffFromItsCoordinator_LosesItsPartitions_AndRejoinsOnceTheNetworkHeals(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await GroupCoordinationTests.FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        int other = (coordinator + 1) % BrokerCluster.Size;
        // The coordinator's shortest session: heartbeats that go unanswered that long end the membership.
        await using IConsumer<string, string> consumer = cluster[other].CreateConsumer<string, string>(new ConsumerOptions
        {
            GroupId = Group, EnableAutoCommit = false, SessionTimeout = TimeSpan.FromSeconds(6), HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        });
        await Task.Run(() => consumer.Subscribe([TopicName]), cancellationToken);
        var reader = new Reader(consumer);
        await Reader.RunAllAsync([reader], () => reader.Assignment.Length == PartitionCount, cancellationToken);
        string before = reader.MemberId;

        cluster.Network.Partition([BrokerCluster.Host(other)], [BrokerCluster.Host(coordinator)]);
        long cut = System.Diagnostics.Stopwatch.GetTimestamp();
        // Each poll is bounded: once the membership is lost, one fails with the reason, its partitions revoked.
        Exception failure = await Task.Run(() => PollUntilFailureAsync(consumer, cancellationToken), cancellationToken);
        double failedAfter = System.Diagnostics.Stopwatch.GetElapsedTime(cut).TotalMilliseconds;
        Assert.That(failure, Is.InstanceOf<NetworkException>().Or.InstanceOf<NotCoordinatorException>());
        Assert.That(consumer.Assignment, Is.Empty);
        Assert.That(reader.Revoked, Is.EqualTo(PartitionCount));

        cluster.Network.HealPartitions();
        long healed = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Run(() => PollUntilAssignedAsync(consumer, before, cancellationToken), cancellationToken);
        TestContext.Out.WriteLine($"cut off: the poll failed {failedAfter:0} ms later; healed: every partition back " +
            $"{System.Diagnostics.Stopwatch.GetElapsedTime(healed).TotalMilliseconds:0} ms later");
        Assert.That(GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group)!.Snapshot().Targets.Keys,
            Is.EquivalentTo(new[] { ((Consumer<string, string>)consumer).Member!.MemberId }));
    }

    private static async Task<Exception> PollUntilFailureAsync(IConsumer<string, string> consumer, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
            catch (LogStoreException e)
            {
                return e;
            }
        }
    }

    private static async Task PollUntilAssignedAsync(IConsumer<string, string> consumer, string before, CancellationToken cancellationToken)
    {
        while (consumer.Assignment.Count != PartitionCount || ((Consumer<string, string>)consumer).Member?.MemberId is null or "" || ((Consumer<string, string>)consumer).Member!.MemberId == before)
        {
            try
            {
                await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
            }
            catch (Exception e) when (e is NetworkException or NotCoordinatorException)
            {
                // A rejoin begun before the heal may still fail; the next poll tries again.
            }
        }
    }

    private static ConsumerOptions Options(PartitionAssignmentStrategy strategy = PartitionAssignmentStrategy.Range) => new()
    {
        GroupId = Group,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
        PartitionAssignmentStrategy = strategy,
        // Rebalances reach a remote member through its heartbeat: a short interval keeps the tests quick.
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
    };

    private static async Task<BrokerCluster> StartAsync(CancellationToken cancellationToken)
    {
        BrokerCluster cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[0].CreateTopicAsync(TopicName, new TopicConfig { Partitions = PartitionCount, ReplicationFactor = 3 }, cancellationToken);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey(TopicName), cancellationToken);
        return cluster;
    }

    private static async Task ProduceAsync(Broker broker, CancellationToken cancellationToken)
    {
        await using IProducer<Null, string> producer = broker.CreateProducer<Null, string>(new ProducerOptions { Acks = Acks.All });
        var deliveries = new List<Task<DeliveryResult>>();
        foreach (TopicPartition tp in AllPartitions())
        {
            for (int i = 0; i < RecordsPerPartition; i++)
                deliveries.Add(producer.ProduceAsync(tp, new Message<Null, string> { Value = $"{tp.Partition}-{i}" }, cancellationToken).AsTask());
        }
        await Task.WhenAll(deliveries);
    }

    private static IEnumerable<TopicPartition> AllPartitions() => Enumerable.Range(0, PartitionCount).Select(p => new TopicPartition(TopicName, p));

    private static IEnumerable<string> AllValues() =>
        Enumerable.Range(0, PartitionCount).SelectMany(p => Enumerable.Range(0, RecordsPerPartition).Select(i => $"{p}-{i}"));

    /// <summary>Polls one consumer on its own task and publishes what the test reads: the consumer is not thread-safe.</summary>
    private sealed class Reader
    {
        private readonly IConsumer<string, string> _consumer;
        private int _revoked;
        private int _assigned;

        public Reader(IConsumer<string, string> consumer)
        {
            _consumer = consumer;
            consumer.PartitionsRevoked += partitions => Interlocked.Add(ref _revoked, partitions.Count);
            consumer.PartitionsAssigned += partitions => Interlocked.Add(ref _assigned, partitions.Count);
        }

        public ConcurrentQueue<ConsumeResult<string, string>> Records { get; } = new();

        public volatile TopicPartition[] Assignment = [];

        public volatile string MemberId = "";

        public int Revoked => Volatile.Read(ref _revoked);

        public int Assigned => Volatile.Read(ref _assigned);

        /// <summary>Polls every reader on its own task until <paramref name="done"/>.</summary>
        public static Task RunAllAsync(Reader[] readers, Func<bool> done, CancellationToken cancellationToken) =>
            Task.WhenAll(readers.Select(r => Task.Run(() => r.RunAsync(done, cancellationToken), cancellationToken)));

        private async Task RunAsync(Func<bool> done, CancellationToken cancellationToken)
        {
            while (!done())
            {
                ConsumeResult<string, string>? result = await _consumer.ConsumeAsync(TimeSpan.FromMilliseconds(50), cancellationToken);
                Assignment = [.. _consumer.Assignment];
                MemberId = ((Consumer<string, string>)_consumer).Member?.MemberId ?? "";
                if (result is not null)
                    Records.Enqueue(result);
            }
        }
    }
}
