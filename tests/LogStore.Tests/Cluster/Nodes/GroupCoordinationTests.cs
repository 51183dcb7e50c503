using System.Net;
using LogStore.Clients.Groups;
using LogStore.Cluster.Metadata;
using LogStore.Network.Apis.Groups;
using LogStore.Network.Client;
using LogStore.Protocol;
using LogStore.Storage.Replication;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// Consumer groups across the nodes of a cluster: the coordinator of a group is the leader of its
/// <c>__consumer_offsets</c> partition, every node names it, the others answer NOT_COORDINATOR, and it moves with the
/// leadership. The harness's fetchers replicate nothing, so the tests copy the offsets partition's records onto the
/// followers to stand for replication.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public class GroupCoordinationTests
{
    private const string Group = "billing";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TopicPartition Orders0 = new("orders", 0);

    [Test]
    public async Task FindCoordinator_FromEveryNode_NamesTheLeaderOfTheGroupsOffsetsPartition(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);

        var answers = new List<FindCoordinatorResponse>();
        for (int node = 0; node < BrokerCluster.Size; node++)
            answers.Add(await FindCoordinatorAsync(cluster, node, cancellationToken));

        var offsets = new TopicPartition(OffsetStore.TopicName, OffsetCommitCodec.PartitionFor(Group, OffsetStore.PartitionCount));
        PartitionRegistration state = cluster[0].Controller!.Image.GetPartition(offsets)!;
        Assert.Multiple(() =>
        {
            Assert.That(state.Replicas, Has.Count.EqualTo(3), "the offsets topic is replicated on min(3, nodes) nodes");
            foreach (FindCoordinatorResponse answer in answers)
            {
                Assert.That(answer.ErrorCode, Is.EqualTo(ErrorCode.None));
                Assert.That(answer.NodeId, Is.EqualTo(state.Leader), "every node names the partition's leader");
                Assert.That(answer.Port, Is.EqualTo(cluster.Nodes[state.Leader].Endpoint.Port));
            }
            Assert.That(cluster[1].TryGetTopic(OffsetStore.TopicName, out Topic? topic), Is.True);
            Assert.That(topic!.Config.CleanupPolicy, Is.EqualTo(CleanupPolicy.Compact));
        });
        Assert.ThrowsAsync<InvalidTopicException>(async () => await cluster[2].CreateTopicAsync(OffsetStore.TopicName, cancellationToken: cancellationToken),
            "users still cannot create the internal topic");
    }

    [Test]
    public async Task GroupRequests_ToANodeThatDoesNotCoordinate_GetNotCoordinator(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        int other = (coordinator + 1) % BrokerCluster.Size;
        await using KafkaClientConnection connection = await ConnectAsync(cluster, other, cancellationToken);

        var join = await connection.SendAsync<JoinGroupRequest, JoinGroupResponse>(new JoinGroupRequest
        {
            GroupId = Group, SessionTimeoutMs = 10_000, RebalanceTimeoutMs = 10_000, ProtocolType = GroupApis.ConsumerProtocolType,
            Protocols = [new JoinGroupRequest.Protocol { Name = "range", Metadata = new ConsumerProtocolSubscription { Version = 1, Topics = ["orders"] }.Write() }],
        }, 5, RequestTimeout, cancellationToken);
        var sync = await connection.SendAsync<SyncGroupRequest, SyncGroupResponse>(
            new SyncGroupRequest { GroupId = Group, GenerationId = 1, MemberId = "m" }, 4, RequestTimeout, cancellationToken);
        var heartbeat = await connection.SendAsync<HeartbeatRequest, HeartbeatResponse>(
            new HeartbeatRequest { GroupId = Group, GenerationId = 1, MemberId = "m" }, 4, RequestTimeout, cancellationToken);
        var leave = await connection.SendAsync<LeaveGroupRequest, LeaveGroupResponse>(
            new LeaveGroupRequest { GroupId = Group, Members = [new LeaveGroupRequest.MemberIdentity { MemberId = "m" }] }, 4, RequestTimeout, cancellationToken);
        var commit = await connection.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(CommitRequest(7), 8, RequestTimeout, cancellationToken);
        var fetch = await connection.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(FetchRequest(), 7, RequestTimeout, cancellationToken);
        var describe = await connection.SendAsync<DescribeGroupsRequest, DescribeGroupsResponse>(
            new DescribeGroupsRequest { Groups = [Group] }, 5, RequestTimeout, cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(join.ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "JoinGroup");
            Assert.That(sync.ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "SyncGroup");
            Assert.That(heartbeat.ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "Heartbeat");
            Assert.That(leave.ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "LeaveGroup");
            Assert.That(commit.Topics[0].Partitions[0].ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "OffsetCommit");
            Assert.That(fetch.ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "OffsetFetch");
            Assert.That(describe.Groups[0].ErrorCode, Is.EqualTo(ErrorCode.NotCoordinator), "DescribeGroups");
        });

        // The coordinator takes the same commit and serves it; only it lists the group.
        Assert.That(await CommitAsync(cluster, coordinator, 7, cancellationToken), Is.EqualTo(ErrorCode.None));
        Assert.That(await FetchCommittedAsync(cluster, coordinator, cancellationToken), Is.EqualTo(7));
        Assert.That(await ListGroupsAsync(cluster, coordinator, cancellationToken), Does.Contain(Group));
        Assert.That(await ListGroupsAsync(cluster, other, cancellationToken), Does.Not.Contain(Group));

        // A subscribing in-process consumer there becomes a member at the coordinator, over the same protocol.
        await using IConsumer<string, string> consumer = cluster[other].CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        await Task.Run(() => consumer.Subscribe(["orders"]), cancellationToken);
        IGroupMembership? member = ((LogStore.Clients.Consumer<string, string>)consumer).Member;
        Assert.That(member, Is.InstanceOf<RemoteGroupMember>());
        Assert.That(GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group)!.Snapshot().Targets.Keys, Does.Contain(member!.MemberId));
    }

    [Test]
    public async Task AnInProcessConsumer_OnANodeThatDoesNotCoordinate_CommitsAndReadsOffsetsAtTheCoordinator(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        int other = (coordinator + 2) % BrokerCluster.Size;
        await using IConsumer<string, string> consumer = cluster[other].CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        consumer.Assign([new TopicPartitionOffset(Orders0, 0)]);

        await Task.Run(() => consumer.Commit([new TopicPartitionOffset(Orders0, 11)]), cancellationToken);

        Assert.That(await FetchCommittedAsync(cluster, coordinator, cancellationToken), Is.EqualTo(11), "stored at the coordinator");
        Assert.That(await Task.Run(() => consumer.Committed(Orders0), cancellationToken), Is.EqualTo(11), "read back through it");
        Assert.That(GroupCoordinator.For(cluster[other]).Offsets.GroupIds(), Does.Not.Contain(Group), "nothing stored on the consumer's node");
    }

    [Test]
    public async Task WhenTheCoordinatorStops_TheNewLeaderOfTheOffsetsPartition_ServesTheCommittedOffsets(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        Assert.That(await CommitAsync(cluster, coordinator, 42, cancellationToken), Is.EqualTo(ErrorCode.None));
        var offsets = new TopicPartition(OffsetStore.TopicName, OffsetCommitCodec.PartitionFor(Group, OffsetStore.PartitionCount));

        await cluster.StopAsync(coordinator);
        await cluster.WaitForAllAsync(image => image.GetPartition(offsets) is { Leader: >= 0 } s && s.Leader != coordinator, cancellationToken);

        int survivor = cluster.Running.First().Options.Replication!.NodeId;
        int successor = (await FindCoordinatorAsync(cluster, survivor, cancellationToken)).NodeId;
        Assert.That(successor, Is.Not.EqualTo(coordinator).And.Not.EqualTo(-1), "the coordinator moved with the leadership");
        foreach (Broker node in cluster.Running)
            Assert.That((await FindCoordinatorAsync(cluster, node.Options.Replication!.NodeId, cancellationToken)).NodeId, Is.EqualTo(successor));
        Assert.That(await FetchCommittedAsync(cluster, successor, cancellationToken), Is.EqualTo(42), "the new coordinator loaded the partition");
        await using IConsumer<string, string> consumer = cluster[successor].CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        Assert.That(consumer.Committed(Orders0), Is.EqualTo(42), "in-process consumers on the new coordinator read it too");
    }

    [Test]
    public async Task WhenThisNodeStopsLeadingTheOffsetsPartition_ItsGroupsAreUnloaded_AndItsMembersRejoinElsewhere(CancellationToken cancellationToken)
    {
        await using BrokerCluster cluster = await StartAsync(cancellationToken);
        int coordinator = (await FindCoordinatorAsync(cluster, 0, cancellationToken)).NodeId;
        await using IConsumer<string, string> consumer = cluster[coordinator].CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        consumer.Subscribe(["orders"]);
        await consumer.ConsumeAsync(TimeSpan.Zero, cancellationToken);
        Assert.That(consumer.Assignment, Does.Contain(Orders0));
        var offsets = new TopicPartition(OffsetStore.TopicName, OffsetCommitCodec.PartitionFor(Group, OffsetStore.PartitionCount));
        PartitionReplica replica = cluster.Replica(coordinator, offsets);

        // The controller's decision, as a publisher applies it: another node leads in the next epoch.
        int next = (coordinator + 1) % BrokerCluster.Size;
        replica.BecomeFollower(replica.LeaderEpoch + 1, next);
        RaiseRoleChanged(cluster[coordinator], replica, next);

        Assert.That(GroupCoordinator.For(cluster[coordinator]).TryGetGroup(Group), Is.Null, "the group left this node's memory");
        Assert.That(cluster[coordinator].ListConsumerGroups(), Does.Not.Contain(Group));
        // The member learns it at its next poll and looks for the coordinator again; the role change was made on this
        // node only, so no node answers as coordinator and the rejoin gives up after its timeout.
        var e = Assert.ThrowsAsync<NotCoordinatorException>(async () => await consumer.ConsumeAsync(TimeSpan.Zero, cancellationToken),
            "the member learns it at its next poll, as a Kafka consumer learns NOT_COORDINATOR");
        Assert.That(e!.GroupId, Is.EqualTo(Group));
    }

    private static async Task<BrokerCluster> StartAsync(CancellationToken cancellationToken)
    {
        BrokerCluster cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size && image.Nodes.Values.All(n => !n.Fenced), cancellationToken);
        await cluster[0].CreateTopicAsync("orders", new TopicConfig { Partitions = 1, ReplicationFactor = 3 }, cancellationToken);
        await cluster.WaitForAllAsync(image => image.Topics.ContainsKey("orders"), cancellationToken);
        return cluster;
    }

    private static async Task<KafkaClientConnection> ConnectAsync(BrokerCluster cluster, int node, CancellationToken cancellationToken) =>
        await KafkaClientConnection.ConnectAsync(cluster.Network.For(new IPEndPoint(IPAddress.Loopback, 39_000)), cluster.Nodes[node].Endpoint,
            "group-test", 1 << 20, TimeProvider.System, cancellationToken);

    /// <summary>FindCoordinator, asked again while the answer is COORDINATOR_NOT_AVAILABLE (the topic being created, a
    /// leader being elected), as a Kafka client does; bounded by the test's token. Returns once every running node
    /// holds the offsets topic, so that the others know the answer too.</summary>
    internal static async Task<FindCoordinatorResponse> FindCoordinatorAsync(BrokerCluster cluster, int node, CancellationToken cancellationToken)
    {
        await using KafkaClientConnection connection = await ConnectAsync(cluster, node, cancellationToken);
        while (true)
        {
            var response = await connection.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(
                new FindCoordinatorRequest { Key = Group, KeyType = FindCoordinatorRequest.GroupKeyType }, 3, RequestTimeout, cancellationToken);
            if (response.ErrorCode != ErrorCode.CoordinatorNotAvailable)
            {
                await cluster.WaitForAllAsync(image => image.Topics.ContainsKey(OffsetStore.TopicName), cancellationToken);
                return response;
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    private static OffsetCommitRequest CommitRequest(long offset) => new()
    {
        GroupId = Group,
        Topics = [new OffsetCommitRequest.Topic { Name = "orders", Partitions = [new OffsetCommitRequest.Partition { PartitionIndex = 0, CommittedOffset = offset }] }],
    };

    private static OffsetFetchRequest FetchRequest() => new()
    {
        GroupId = Group,
        Topics = [new OffsetFetchRequest.Topic { Name = "orders", PartitionIndexes = [0] }],
    };

    /// <summary>A standalone commit (generation -1), retried while the coordinator loads.</summary>
    private static async Task<ErrorCode> CommitAsync(BrokerCluster cluster, int node, long offset, CancellationToken cancellationToken)
    {
        await using KafkaClientConnection connection = await ConnectAsync(cluster, node, cancellationToken);
        while (true)
        {
            var response = await connection.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(CommitRequest(offset), 8, RequestTimeout, cancellationToken);
            ErrorCode error = response.Topics[0].Partitions[0].ErrorCode;
            if (error != ErrorCode.CoordinatorLoadInProgress)
                return error;
            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task<long> FetchCommittedAsync(BrokerCluster cluster, int node, CancellationToken cancellationToken)
    {
        await using KafkaClientConnection connection = await ConnectAsync(cluster, node, cancellationToken);
        while (true)
        {
            var response = await connection.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(FetchRequest(), 7, RequestTimeout, cancellationToken);
            if (response.ErrorCode == ErrorCode.None)
                return response.Topics[0].Partitions[0].CommittedOffset;
            Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.CoordinatorLoadInProgress), $"OffsetFetch at node {node}");
            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task<List<string>> ListGroupsAsync(BrokerCluster cluster, int node, CancellationToken cancellationToken)
    {
        await using KafkaClientConnection connection = await ConnectAsync(cluster, node, cancellationToken);
        var response = await connection.SendAsync<ListGroupsRequest, ListGroupsResponse>(new ListGroupsRequest(), 3, RequestTimeout, cancellationToken);
        return [.. response.Groups.Select(g => g.GroupId)];
    }

    /// <summary>What the node's publisher raises after applying a role change.</summary>
    private static void RaiseRoleChanged(Broker broker, PartitionReplica replica, int leader) =>
        GroupCoordinator.For(broker).OnRoleChanged(replica, new PartitionRegistration([0, 1, 2], leader, replica.LeaderEpoch, [0, 1, 2], 1));
}
