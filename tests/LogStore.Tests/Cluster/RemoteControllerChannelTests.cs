using System.Net;
using LogStore.Cluster.Channels;
using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Network.Transport;
using LogStore.Protocol;

namespace LogStore.Tests.Cluster;

/// <summary>
/// Brokers reach the active controller through <see cref="RemoteControllerChannel"/> and the controller APIs of the
/// Kafka listener: from every node, after a failover, with typed refusals, and past peers that fail or send garbage.
/// </summary>
[NonParallelizable]
public sealed class RemoteControllerChannelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [TestCase(false, TestName = "Commands_FromEveryNode_ReachTheActiveController_OverTheListener")]
    [TestCase(true, TestName = "Commands_FromEveryNode_ReachTheActiveController_WithTheLocalShortcut")]
    public async Task Commands_FromEveryNode_ReachTheActiveController(bool localShortcut)
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerChannelCluster.StartAsync(localShortcut, timeout.Token);

        // Each node registers and heart-beats through its channel: all three are known, unfenced, with their epochs.
        await cluster.WaitForAllAsync(image => image.Nodes.Count == 3 && image.Nodes.Values.All(n => !n.Fenced), timeout.Token);
        int active = await cluster.WaitForActiveAsync(timeout.Token);
        ClusterImage image = cluster.Controller(active).Image;
        foreach (int node in cluster.Running)
        {
            Assert.That(image.Nodes[node], Is.EqualTo(new NodeRegistration(node, cluster.NodeEpoch(node), "127.0.0.1", cluster.Nodes[node].Endpoint.Port, false)));
            await cluster.Channel(node).HeartbeatAsync(node, cluster.NodeEpoch(node), timeout.Token);
        }

        // Topic creation by the in-process shortcut only: the listener's CreateTopics does not reach the controller yet.
        TopicRegistration topic = await new LocalControllerChannel(cluster.Controller(active)).CreateTopicAsync("orders", 1, 3, false, [], timeout.Token);
        await cluster.WaitForAllAsync(i => i.Topics.ContainsKey("orders"), timeout.Token);
        var tp = new TopicPartition("orders", 0);
        int leader = topic.Partitions[0].Leader;

        // The leader shrinks its ISR, then expands it again from the new partition epoch: every node's view moves.
        PartitionRegistration shrunk = await cluster.Channel(leader).AlterPartitionAsync(tp, leader, 0, 0, [leader], timeout.Token);
        Assert.That(shrunk.ToString(), Is.EqualTo($"replicas=[{string.Join(',', topic.Partitions[0].Replicas)}] leader={leader} leaderEpoch=0 isr=[{leader}] partitionEpoch=1"));
        PartitionRegistration expanded = await cluster.Channel(leader).AlterPartitionAsync(tp, leader, 0, 1, [.. topic.Partitions[0].Replicas], timeout.Token);
        Assert.That(expanded.PartitionEpoch, Is.EqualTo(2));
        Assert.That(expanded.Isr, Is.EquivalentTo(topic.Partitions[0].Replicas));
        await cluster.WaitForAllAsync(i => i.GetPartition(tp)!.PartitionEpoch == 2, timeout.Token);
    }

    [Test]
    public async Task ABrokerInClusterMode_ByDefault_ReachesTheControllerThroughTheRemoteChannel()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerChannelCluster.StartAsync(localShortcut: true, timeout.Token, defaultChannel: true);

        await cluster.WaitForAllAsync(image => image.Nodes.Count == 3 && image.Nodes.Values.All(n => !n.Fenced), timeout.Token);
        Assert.That(cluster.Running.Select(i => cluster.Broker(i).ClusterServices!.Channel), Is.All.InstanceOf<RemoteControllerChannel>());
    }

    [Test]
    public async Task AfterTheActiveControllerStops_CommandsRetry_AndReachTheNewOne()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerChannelCluster.StartAsync(localShortcut: false, timeout.Token);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == 3 && image.Nodes.Values.All(n => !n.Fenced), timeout.Token);
        int stopped = await cluster.WaitForActiveAsync(timeout.Token);
        var survivors = cluster.Running.Where(i => i != stopped).ToList();
        // Every survivor's channel holds a connection to the active controller's node now.
        foreach (int node in survivors)
            await cluster.Channel(node).HeartbeatAsync(node, cluster.NodeEpoch(node), timeout.Token);

        await cluster.StopNodeAsync(stopped);

        // The survivors still name the stopped controller for a while: their commands fail, retry, and land on the new one,
        // which fences the silent node once its session ends.
        foreach (int node in survivors)
            await cluster.Channel(node).HeartbeatAsync(node, cluster.NodeEpoch(node), timeout.Token);
        int second = await cluster.WaitForActiveAsync(timeout.Token);
        Assert.That(second, Is.Not.EqualTo(stopped));
        await cluster.WaitForAllAsync(image => image.Nodes[stopped].Fenced && survivors.All(n => !image.Nodes[n].Fenced), timeout.Token);
        TopicRegistration topic = await new LocalControllerChannel(cluster.Controller(second)).CreateTopicAsync("after", 1, 2, false, [], timeout.Token);
        int leader = topic.Partitions[0].Leader;
        PartitionRegistration shrunk = await cluster.Channel(leader).AlterPartitionAsync(new TopicPartition("after", 0), leader, 0, 0, [leader], timeout.Token);
        Assert.That(shrunk.Isr, Is.EqualTo(new[] { leader }));
    }

    [Test]
    public async Task Refusals_ComeBackAsTheControllersTypedExceptions()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerChannelCluster.StartAsync(localShortcut: false, timeout.Token);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == 3 && image.Nodes.Values.All(n => !n.Fenced), timeout.Token);
        int active = await cluster.WaitForActiveAsync(timeout.Token);
        QuorumController controller = cluster.Controller(active);
        TopicRegistration topic = await new LocalControllerChannel(controller).CreateTopicAsync("t", 1, 2, false, [], timeout.Token);
        await cluster.WaitForAllAsync(i => i.Topics.ContainsKey("t"), timeout.Token);
        var tp = new TopicPartition("t", 0);
        int leader = topic.Partitions[0].Leader;
        int other = topic.Partitions[0].Replicas.First(r => r != leader);
        int outsider = Enumerable.Range(0, 3).First(n => !topic.Partitions[0].IsReplica(n));
        RemoteControllerChannel channel = cluster.Channel(leader);
        long epoch = cluster.NodeEpoch(leader);
        string before = controller.Image.Describe();

        Assert.ThrowsAsync<StaleBrokerEpochException>(async () => await channel.RegisterNodeAsync(leader, epoch - 1, "x", 1, cleanShutdown: true, timeout.Token), "an older epoch");
        Assert.ThrowsAsync<StaleBrokerEpochException>(async () => await channel.HeartbeatAsync(leader, epoch + 1, timeout.Token), "another epoch");
        Assert.ThrowsAsync<StaleBrokerEpochException>(async () => await channel.HeartbeatAsync(7, 1, timeout.Token), "never registered");
        Assert.ThrowsAsync<InvalidUpdateVersionException>(async () => await channel.AlterPartitionAsync(tp, leader, 0, 3, [leader], timeout.Token),
            "a partition epoch ahead of the controller's");
        Assert.ThrowsAsync<InvalidUpdateVersionException>(async () => await channel.AlterPartitionAsync(tp, other, 0, 0, [other], timeout.Token),
            "not the leader");
        var ineligible = Assert.ThrowsAsync<IneligibleReplicaException>(async () => await channel.AlterPartitionAsync(tp, leader, 0, 0, [leader, outsider], timeout.Token));
        Assert.That(ineligible!.Message, Does.Contain($"Node {outsider}"));
        Assert.ThrowsAsync<UnknownTopicException>(async () => await channel.AlterPartitionAsync(new TopicPartition("t", 5), leader, 0, 0, [leader], timeout.Token));
        Assert.ThrowsAsync<UnknownTopicException>(async () => await channel.AlterPartitionAsync(new TopicPartition("nope", 0), leader, 0, 0, [leader], timeout.Token));

        Assert.That(controller.Image.Describe(), Is.EqualTo(before), "refusals change nothing");
        // After the refusals the connection still serves.
        PartitionRegistration shrunk = await channel.AlterPartitionAsync(tp, leader, 0, 0, [leader], timeout.Token);
        Assert.That(shrunk.Isr, Is.EqualTo(new[] { leader }));
    }

    [Test]
    public async Task ControllerApis_OnANodeThatIsNotTheActiveController_AnswerNotController()
    {
        using var timeout = new CancellationTokenSource(Bound);
        await using var cluster = await ControllerChannelCluster.StartAsync(localShortcut: true, timeout.Token);
        int active = await cluster.WaitForActiveAsync(timeout.Token);
        int follower = cluster.Running.First(i => i != active);
        await using var connection = await LogStore.Network.Client.KafkaClientConnection.ConnectAsync(cluster.Network,
            cluster.Nodes[follower].Endpoint, "test", 1 << 20, TimeProvider.System, timeout.Token);

        var registered = await connection.SendAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(new BrokerRegistrationRequest
        {
            BrokerId = 9,
            NodeEpoch = 1,
            Listeners = [new() { Name = "PLAINTEXT", Host = "h", Port = 1 }],
        }, 4, TimeSpan.FromSeconds(10), timeout.Token);
        var heartbeat = await connection.SendAsync<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(
            new BrokerHeartbeatRequest { BrokerId = 9, BrokerEpoch = 1 }, 1, TimeSpan.FromSeconds(10), timeout.Token);
        var altered = await connection.SendAsync<AlterPartitionRequest, AlterPartitionResponse>(
            new AlterPartitionRequest { BrokerId = 9, Topics = [new() { TopicId = Guid.NewGuid(), Partitions = [new()] }] }, 3, TimeSpan.FromSeconds(10), timeout.Token);

        Assert.That(registered.ErrorCode, Is.EqualTo(ErrorCode.NotController));
        Assert.That(heartbeat.ErrorCode, Is.EqualTo(ErrorCode.NotController));
        Assert.That(altered.ErrorCode, Is.EqualTo(ErrorCode.NotController));
        Assert.That(cluster.Controller(active).Image.Nodes.ContainsKey(9), Is.False, "nothing was registered");
    }

    [Test]
    public async Task AGarbageOrClosingPeer_GivesNetworkException_ThenARetryOnANewConnection()
    {
        using var timeout = new CancellationTokenSource(Bound);
        var network = new InMemoryNetwork();
        var endpoint = new IPEndPoint(IPAddress.Loopback, 39090);
        // Request 0 gets garbage, request 1 a closed connection, request 2 NOT_CONTROLLER, request 3 the answer.
        await using var stub = await StubControllerListener.StartAsync(network, endpoint, (n, header, request) => n switch
        {
            0 => StubAnswer.Garbage,
            1 => StubAnswer.Close,
            2 => StubAnswer.With(new BrokerHeartbeatResponse { ErrorCode = ErrorCode.NotController }),
            _ => StubAnswer.With(new BrokerHeartbeatResponse { IsFenced = false, IsCaughtUp = true }),
        }, timeout.Token);
        await using var channel = Channel(network, new Dictionary<int, EndPoint> { [1] = endpoint });

        await channel.HeartbeatAsync(1, 1, timeout.Token);

        Assert.That(stub.Requests, Is.EqualTo(4));
        Assert.That(stub.Connections, Is.EqualTo(3), "a new connection after the garbage and after the close, kept after NOT_CONTROLLER");
    }

    [Test]
    public async Task ConcurrentCommands_ShareOneConnectionPerNode()
    {
        using var timeout = new CancellationTokenSource(Bound);
        var network = new InMemoryNetwork();
        var endpoint = new IPEndPoint(IPAddress.Loopback, 39096);
        await using var stub = await StubControllerListener.StartAsync(network, endpoint,
            (_, _, _) => StubAnswer.With(new BrokerHeartbeatResponse { IsFenced = false }), timeout.Token);
        await using var channel = Channel(network, new Dictionary<int, EndPoint> { [1] = endpoint });

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => channel.HeartbeatAsync(1 + i % 3, 1, timeout.Token).AsTask()));

        Assert.That(stub.Requests, Is.EqualTo(20));
        Assert.That(stub.Connections, Is.EqualTo(1), "one cached connection, one request in flight on it at a time");
    }

    [Test]
    public async Task NoReachablePeer_ThrowsNetworkException_OnceTheTimeoutPasses()
    {
        using var timeout = new CancellationTokenSource(Bound);
        var network = new InMemoryNetwork();
        await using var channel = Channel(network, new Dictionary<int, EndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 39091) },
            TimeSpan.FromMilliseconds(500));

        Assert.ThrowsAsync<NetworkException>(async () => await channel.HeartbeatAsync(1, 1, timeout.Token));
        Assert.That(timeout.IsCancellationRequested, Is.False);
    }

    [Test]
    public async Task WithoutAKnownController_EveryNodeIsTried_UntilOneAnswers()
    {
        using var timeout = new CancellationTokenSource(Bound);
        var network = new InMemoryNetwork();
        var refusing = new IPEndPoint(IPAddress.Loopback, 39092);
        var serving = new IPEndPoint(IPAddress.Loopback, 39093);
        await using var notController = await StubControllerListener.StartAsync(network, refusing,
            (_, _, _) => StubAnswer.With(new BrokerRegistrationResponse { ErrorCode = ErrorCode.NotController }), timeout.Token);
        await using var controller = await StubControllerListener.StartAsync(network, serving,
            (_, _, request) => StubAnswer.With(new BrokerRegistrationResponse { BrokerEpoch = ((BrokerRegistrationRequest)request).NodeEpoch }), timeout.Token);
        await using var channel = Channel(network, new Dictionary<int, EndPoint> { [1] = new IPEndPoint(IPAddress.Loopback, 39094), [2] = refusing, [3] = serving });

        NodeRegistration registered = await channel.RegisterNodeAsync(1, 3, "me", 9092, cleanShutdown: true, timeout.Token);

        Assert.That(registered.NodeEpoch, Is.EqualTo(3));
        Assert.That(notController.Requests, Is.EqualTo(1));
        Assert.That(controller.Requests, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateTopic_OverTheListener_MapsErrorsAndReturnsTheCreatedTopic()
    {
        using var timeout = new CancellationTokenSource(Bound);
        var network = new InMemoryNetwork();
        var endpoint = new IPEndPoint(IPAddress.Loopback, 39095);
        var id = Guid.NewGuid();
        CreateTopicsRequest? seen = null;
        await using var stub = await StubControllerListener.StartAsync(network, endpoint, (n, _, request) =>
        {
            var create = (CreateTopicsRequest)request;
            seen = create;
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = create.Topics[0].Name, TopicId = id };
            result.ErrorCode = create.Topics[0].Name switch
            {
                "taken" => ErrorCode.TopicAlreadyExists,
                "big" => ErrorCode.InvalidReplicationFactor,
                _ => n == 2 ? ErrorCode.NotController : ErrorCode.None,
            };
            return StubAnswer.With(new CreateTopicsResponse { Topics = [result] });
        }, timeout.Token);
        await using var channel = Channel(network, new Dictionary<int, EndPoint> { [1] = endpoint });

        Assert.ThrowsAsync<TopicExistsException>(async () => await channel.CreateTopicAsync("taken", 1, 1, false, [], timeout.Token));
        Assert.ThrowsAsync<InvalidReplicationFactorException>(async () => await channel.CreateTopicAsync("big", 1, 9, false, [], timeout.Token));
        TopicRegistration created = await channel.CreateTopicAsync("fresh", 4, 3, true, [("retention.ms", "1000")], timeout.Token);

        Assert.That(created.TopicId, Is.EqualTo(id));
        Assert.That(stub.Requests, Is.EqualTo(4), "NOT_CONTROLLER was retried");
        Assert.That(seen!.Topics[0].NumPartitions, Is.EqualTo(4));
        Assert.That(seen.Topics[0].ReplicationFactor, Is.EqualTo((short)3));
        Assert.That(seen.Topics[0].Configs.Select(c => (c.Name, c.Value)),
            Is.EqualTo(new[] { ("retention.ms", (string?)"1000"), ("unclean.leader.election.enable", "true") }));
    }

    private static RemoteControllerChannel Channel(InMemoryNetwork network, Dictionary<int, EndPoint> kafkaEndpoints, TimeSpan? timeout = null) =>
        new(new RemoteControllerChannelOptions
        {
            NodeId = 1,
            KafkaEndpoints = kafkaEndpoints,
            ControllerEndpoints = new Dictionary<int, EndPoint>(),
            ConnectionFactory = network,
            ActiveController = () => null,
            RetryBackoff = TimeSpan.FromMilliseconds(10),
            MaxRetryBackoff = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(5),
            Timeout = timeout ?? TimeSpan.FromSeconds(20),
        });
}
