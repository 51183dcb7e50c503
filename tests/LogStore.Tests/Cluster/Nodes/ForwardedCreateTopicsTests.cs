using System.Net;
using LogStore.Network.Client;
using LogStore.Protocol;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>
/// CreateTopics forwarded by another node's controller channel reaches a node that is not the active controller: it
/// answers NOT_CONTROLLER at once, so the sender tries the right node, instead of forwarding it on (two nodes without a
/// controller passed it back and forth until the sender's 30 s request timeout, and its retry found the topic created).
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public class ForwardedCreateTopicsTests
{
    [Test]
    public async Task ForwardedToANodeThatIsNotTheController_AnswersNotController_AndCreatesNothing(CancellationToken cancellationToken)
    {
        await using var cluster = await BrokerCluster.StartAllAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == BrokerCluster.Size, cancellationToken);
        int follower = Enumerable.Range(0, BrokerCluster.Size).First(n => !cluster[n].Controller!.IsActive);
        await using KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(
            cluster.Network.For(new IPEndPoint(IPAddress.Loopback, 39_001)), cluster.Nodes[follower].Endpoint,
            "logstore-node-2-controller-channel", 1 << 20, TimeProvider.System, cancellationToken);

        var request = new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = "orders", NumPartitions = 1, ReplicationFactor = 3 }],
            TimeoutMs = 30_000,
        };
        CreateTopicsResponse response = await connection.SendAsync<CreateTopicsRequest, CreateTopicsResponse>(
            request, 7, TimeSpan.FromSeconds(20), cancellationToken);

        Assert.That(response.Topics.Single().ErrorCode, Is.EqualTo(ErrorCode.NotController));
        Assert.That(cluster[follower].Controller!.Image.Topics.ContainsKey("orders"), Is.False);
    }
}
