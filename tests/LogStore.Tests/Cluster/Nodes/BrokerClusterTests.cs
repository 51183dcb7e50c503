namespace LogStore.Tests.Cluster.Nodes;

/// <summary>The test cluster's network: each node is one host, so a fault on the network hits the whole node.</summary>
public sealed class BrokerClusterTests
{
    [Test]
    public async Task Network_GroupsEachNodesListenerAndControllerInOneHost()
    {
        await using var cluster = new BrokerCluster();

        for (int node = 0; node < BrokerCluster.Size; node++)
        {
            Assert.That(cluster.Network.HostOf(cluster.Nodes[node].Endpoint), Is.EqualTo(BrokerCluster.Host(node)));
            Assert.That(cluster.Network.HostOf(cluster.Nodes[node].ResolvedControllerEndpoint), Is.EqualTo(BrokerCluster.Host(node)));
        }
    }
}
