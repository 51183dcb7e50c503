using System.Net;

namespace LogStore;

/// <summary>
/// One node of a replicated store (<see cref="ReplicationOptions.Nodes"/>): its id and the address of its Kafka
/// listener, where clients and the other nodes' followers reach it. Its controller (Raft) listens on
/// <see cref="ControllerEndpoint"/>, by default the same address with the next port (9092 → 9093, Kafka's convention
/// for a combined broker and controller).
/// </summary>
/// <param name="NodeId">The node's id, unique in the cluster, 0 or more (Kafka's node.id).</param>
/// <param name="Endpoint">The node's Kafka listener address as the other nodes reach it.</param>
public sealed record ClusterNode(int NodeId, IPEndPoint Endpoint)
{
    /// <summary>Where the node's controller listens for its peers; null (the default): <see cref="Endpoint"/>'s
    /// address with the port after <see cref="Endpoint"/>'s.</summary>
    public IPEndPoint? ControllerEndpoint { get; init; }

    /// <summary><see cref="ControllerEndpoint"/>, or the rule's address when it is not set.</summary>
    internal IPEndPoint ResolvedControllerEndpoint => ControllerEndpoint ?? new IPEndPoint(Endpoint.Address, Endpoint.Port + 1);
}
