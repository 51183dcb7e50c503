using System.Net;
using LogStore.Network.Client;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Clients.Forwarding;

/// <summary>
/// A producer's connections to the other nodes of its cluster, one per node, opened on first use and again after a
/// failure broke one (Kafka's NetworkClient keeps one per broker too). Each carries one request at a time, which is
/// all the forwarder sends to a node at once. Thread-safe: the forwarder's requests to different nodes run together.
/// </summary>
internal sealed class LeaderConnections : IAsyncDisposable
{
    // A Produce response names each partition once with a few fixed fields: far below this for any request we send.
    private const int MaxResponseBytes = 1 << 20;

    private readonly Lock _lock = new();
    private readonly Dictionary<int, KafkaClientConnection> _open = [];
    private readonly IReadOnlyDictionary<int, EndPoint> _endpoints;
    private readonly IConnectionFactory _factory;
    private readonly string _clientId;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeProvider _time;
    private bool _disposed;

    public LeaderConnections(IReadOnlyDictionary<int, EndPoint> endpoints, IConnectionFactory factory, string clientId, TimeSpan connectTimeout,
        TimeProvider time)
    {
        (_endpoints, _factory, _clientId, _connectTimeout, _time) = (endpoints, factory, clientId, connectTimeout, time);
    }

    /// <summary>The usable connection to <paramref name="node"/>, opened now when there is none.</summary>
    /// <exception cref="NetworkException">The node is unknown or cannot be reached within the connect timeout.</exception>
    /// <exception cref="ObjectDisposedException">The producer is closing.</exception>
    public async ValueTask<KafkaClientConnection> GetAsync(int node)
    {
        KafkaClientConnection? broken = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(node, out KafkaClientConnection? open))
            {
                if (open.IsUsable)
                    return open;
                broken = open;
                _open.Remove(node);
            }
        }
        if (broken is not null)
            await broken.DisposeAsync().ConfigureAwait(false);
        if (!_endpoints.TryGetValue(node, out EndPoint? endpoint))
            throw new NetworkException($"Node {node} is not one of the cluster's nodes (ReplicationOptions.Nodes).");

        using var timeout = new CancellationTokenSource(_connectTimeout, _time);
        KafkaClientConnection connection;
        try
        {
            connection = await KafkaClientConnection.ConnectAsync(_factory, endpoint, _clientId, MaxResponseBytes, _time, timeout.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            throw new NetworkException($"Cannot connect to node {node} at {endpoint} within {_connectTimeout.TotalMilliseconds:0} ms.", e);
        }
        bool keep;
        lock (_lock)
        {
            keep = !_disposed;
            if (keep)
                _open[node] = connection;
        }
        if (!keep)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(LeaderConnections));
        }
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        List<KafkaClientConnection> open;
        lock (_lock)
        {
            _disposed = true;
            open = [.. _open.Values];
            _open.Clear();
        }
        foreach (KafkaClientConnection connection in open)
            await connection.DisposeAsync().ConfigureAwait(false);
    }
}
