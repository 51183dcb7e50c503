using LogStore.Cluster.Controller;

namespace LogStore;

// Placeholder until the cluster wiring (Broker.Cluster.cs) lands: the controller APIs of the Kafka listener need to know
// this node's Raft controller, if it runs one.
public sealed partial class Broker
{
    /// <summary>This node's Raft controller, null when it runs none: the controller APIs of the Kafka listener
    /// (BrokerRegistration, BrokerHeartbeat, AlterPartition) are served by it while it is the active one.</summary>
    internal QuorumController? Controller { get; set; }
}
