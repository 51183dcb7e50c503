using System.Net;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>serve</c>'s cluster flags: <c>--node-id N --peers 1@HOST:PORT,2@HOST:PORT,3@HOST:PORT</c> (each node's Kafka
/// listener; the same list on every node) and <c>--controller-port-offset</c> (each node's controller listens on its
/// Kafka port plus it, default 1). All or nothing: one without the other is a usage error. With <c>--peer-cert</c>,
/// <c>--peer-ca</c> (<see cref="ServeSecurity.PeerTls"/>) the nodes talk TLS with mutual certificates, which needs
/// <c>--tls-cert</c> on the listener too.
/// </summary>
internal static class ServeCluster
{
    public static ReplicationOptions? Replication(int? nodeId, string? peers, int controllerPortOffset, IPEndPoint listen,
        PeerTlsOptions? peerTls = null, bool listenerTls = false)
    {
        if (nodeId is null && peers is null)
            return peerTls is null ? null : throw CommandException.Usage("--peer-cert is for a cluster node: it needs --node-id and --peers");
        if (nodeId is not { } id || peers is null)
            throw CommandException.Usage("--node-id and --peers go together: a cluster node needs both");
        if (controllerPortOffset is < 1 or > 1000)
            throw CommandException.Usage($"--controller-port-offset must be 1 to 1000, not {controllerPortOffset}");
        var nodes = new List<ClusterNode>();
        foreach (string entry in peers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int at = entry.IndexOf('@', StringComparison.Ordinal);
            if (at <= 0 || !int.TryParse(entry.AsSpan(0, at), out int peerId) || peerId < 0)
                throw CommandException.Usage($"--peers entries are ID@HOST:PORT with a node id of 0 or more, not '{entry}'");
            IPEndPoint endpoint = ServeCommand.ParseEndpoint(entry[(at + 1)..], "--peers");
            if (endpoint.Port + controllerPortOffset > IPEndPoint.MaxPort)
                throw CommandException.Usage($"node {peerId}'s controller port {endpoint.Port + controllerPortOffset} is past {IPEndPoint.MaxPort}");
            if (nodes.Any(n => n.NodeId == peerId))
                throw CommandException.Usage($"--peers lists node {peerId} twice");
            nodes.Add(new ClusterNode(peerId, endpoint)
            {
                ControllerEndpoint = new IPEndPoint(endpoint.Address, endpoint.Port + controllerPortOffset),
            });
        }
        ClusterNode self = nodes.FirstOrDefault(n => n.NodeId == id)
            ?? throw CommandException.Usage($"--node-id {id} is not among --peers ({peers})");
        if (self.Endpoint.Port != listen.Port)
            throw CommandException.Usage($"--listen port {listen.Port} is not node {id}'s port in --peers ({self.Endpoint.Port})");
        if (peerTls is not null && !listenerTls)
            throw CommandException.Usage("--peer-cert needs --tls-cert: the other nodes fetch through the Kafka listener, which must then run TLS");
        return new ReplicationOptions { NodeId = id, Nodes = nodes, PeerTls = peerTls };
    }
}
