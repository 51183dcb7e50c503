using System.Collections.Concurrent;
using LogStore.Cluster.Metadata;

namespace LogStore.Cluster.Controller;

/// <summary>
/// The active controller's memory of each node's last heartbeat (Kafka's BrokerHeartbeatManager): not replicated, so a
/// new controller starts every node's session afresh, and a node is fenced only after a whole session timeout of
/// silence seen by one controller. Time comes from the <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class BrokerHeartbeatManager(TimeProvider time, TimeSpan sessionTimeout)
{
    private readonly ConcurrentDictionary<int, long> _lastContact = new();

    public void Touch(int nodeId) => _lastContact[nodeId] = time.GetTimestamp();

    /// <summary>Forgets every session: called when this node becomes the controller.</summary>
    public void Reset() => _lastContact.Clear();

    /// <summary>The unfenced nodes of <paramref name="image"/> silent for a session timeout or more. A node never heard
    /// from by this controller gets a session from now.</summary>
    public List<NodeRegistration> Expired(ClusterImage image)
    {
        long now = time.GetTimestamp();
        var expired = new List<NodeRegistration>();
        foreach (var node in image.Nodes.Values)
        {
            if (node.Fenced)
                continue;
            long last = _lastContact.GetOrAdd(node.NodeId, now);
            if (time.GetElapsedTime(last, now) >= sessionTimeout)
                expired.Add(node);
        }
        return expired;
    }
}
