using LogStore.Diagnostics;
using LogStore.Protocol;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Security;

/// <summary>
/// Under peer TLS, who may send the requests only nodes send (Kafka's CLUSTER_ACTION on the cluster resource): a
/// follower's Fetch and OffsetForLeaderEpoch (replica id ≥ 0), BrokerRegistration, BrokerHeartbeat and AlterPartition
/// are served only on a connection whose client certificate names the very node the request speaks for
/// (<see cref="KafkaConnectionInfo.PeerNodeId"/>). Anything else is answered CLUSTER_AUTHORIZATION_FAILED in the
/// request's own shape, logged. Without peer TLS every request passes, as before. Stateless, thread-safe.
/// </summary>
internal static class InterNodeAuthorizer
{
    /// <summary>The node an inter-node request speaks for; null for a client's request.</summary>
    public static int? ClaimedNode(IKafkaRequest body, short version) => body switch
    {
        FetchRequest fetch => (version >= 15 ? fetch.ReplicaState?.ReplicaId ?? -1 : fetch.ReplicaId) is var id and >= 0 ? id : null,
        OffsetForLeaderEpochRequest epochs => epochs.ReplicaId >= 0 ? epochs.ReplicaId : null,
        BrokerRegistrationRequest registration => registration.BrokerId,
        BrokerHeartbeatRequest heartbeat => heartbeat.BrokerId,
        AlterPartitionRequest alter => alter.BrokerId,
        _ => null,
    };

    /// <summary>True when <paramref name="body"/> may be served on <paramref name="connection"/>; otherwise logs why and
    /// gives the refusal to answer with.</summary>
    public static bool TryAuthorize(bool peerTls, RequestHeader header, IKafkaRequest body, KafkaConnectionInfo connection, ILogger logger,
        out IKafkaResponse? refusal)
    {
        refusal = null;
        if (!peerTls || ClaimedNode(body, header.ApiVersion) is not int claimed || connection.PeerNodeId == claimed)
            return true;
        string reason = connection.PeerNodeId is int proven
            ? $"the connection's certificate names node {proven}"
            : "the connection has no peer certificate";
        NetworkLog.InterNodeRequestRefused(logger, connection.ConnectionId, connection.RemoteEndPoint, header.ApiKey, claimed, reason);
        refusal = body.ErrorResponse(ErrorCode.ClusterAuthorizationFailed);
        return false;
    }
}
