using LogStore.Network.Client;
using LogStore.Protocol;

namespace LogStore.Tests.Cluster.PeerFuzz;

/// <summary>
/// What the peer fuzzer found, each kept as a plain test: a peer that is no member of the cluster asks the active
/// controller for something, and is refused with nothing changed.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public class StrangerPeerTests
{
    [TestCase(3)]
    [TestCase(1000)]
    public async Task ARegistrationUnderAnIdNoNodeHas_IsRefused_AndTheImageGainsNoNode(int strangerId, CancellationToken cancellationToken)
    {
        await using PeerFuzzCluster cluster = await PeerFuzzCluster.StartAsync(cancellationToken);
        await cluster.WaitForAllAsync(image => image.Nodes.Count == PeerFuzzCluster.Size, cancellationToken);
        int active = await ActiveControllerAsync(cluster, cancellationToken);
        string before = cluster[active].Controller!.Image.Describe();

        await using KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(cluster.Network, cluster.Nodes[active].Endpoint,
            "stranger", 1 << 20, TimeProvider.System, cancellationToken);
        var register = new BrokerRegistrationRequest
        {
            BrokerId = strangerId, NodeEpoch = 1, Listeners = [new() { Name = "PLAINTEXT", Host = "stranger", Port = 9092 }],
        };
        BrokerRegistrationResponse response = await connection.SendAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(register, 4,
            TimeSpan.FromSeconds(10), cancellationToken);

        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.InvalidRequest));
        Assert.That(cluster[active].Controller!.Image.Describe(), Is.EqualTo(before), "no node joined");
    }

    private static async Task<int> ActiveControllerAsync(PeerFuzzCluster cluster, CancellationToken cancellationToken)
    {
        while (true)
        {
            for (int node = 0; node < PeerFuzzCluster.Size; node++)
            {
                if (cluster[node].Controller is { IsActive: true })
                    return node;
            }
            await Task.Delay(10, cancellationToken);
        }
    }
}
