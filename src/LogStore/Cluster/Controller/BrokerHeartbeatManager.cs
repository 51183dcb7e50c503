using System.Collections.Concurrent;
using LogStore.Cluster.Metadata;

namespace LogStore.Cluster.Controller;

/// <summary>
/// The active controller's memory of each node's last heartbeat (Kafka's BrokerHeartbeatManager): not replicated, so a
/// new controller starts every node's session afresh, and a node is fenced only after a whole session timeout of
/// silence seen by one controller. The one exception is the controller it took over from (<see cref="Seed"/>): that
/// node's last proof of life is known, and its session counts from there. Time comes from the
/// <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class BrokerHeartbeatManager(TimeProvider time, TimeSpan sessionTimeout)
{
    private readonly ConcurrentDictionary<int, long> _lastContact = new();

    public void Touch(int nodeId) => _lastContact[nodeId] = time.GetTimestamp();

    /// <summary>Forgets every session: called when this node becomes the controller.</summary>
    public void Reset() => _lastContact.Clear();

    /// <summary>Records that node <paramref name="nodeId"/> was last heard from at <paramref name="timestamp"/> (of the
    /// <see cref="TimeProvider"/>), unless a later contact is known.</summary>
    public void Seed(int nodeId, long timestamp) => _lastContact.AddOrUpdate(nodeId, timestamp, (_, known) => Math.Max(known, timestamp));

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

    /// <summary>How long until the first unfenced node of <paramref name="image"/> expires if it stays silent (zero if
    /// one already has); a session timeout when none is unfenced. Kafka's controller, too, checks at the earliest
    /// expiry rather than on a coarse period, so fencing follows the session's end by milliseconds.</summary>
    public TimeSpan UntilNextExpiry(ClusterImage image)
    {
        long now = time.GetTimestamp();
        TimeSpan next = sessionTimeout;
        foreach (var node in image.Nodes.Values)
        {
            if (node.Fenced)
                continue;
            long last = _lastContact.GetOrAdd(node.NodeId, now);
            TimeSpan left = sessionTimeout - time.GetElapsedTime(last, now);
            if (left < next)
                next = left;
        }
        return next < TimeSpan.Zero ? TimeSpan.Zero : next;
    }
}
