using System.Net;
using System.Runtime.ExceptionServices;
using LogStore.Cluster.Controller;
using LogStore.Network.Client;

namespace LogStore.Cluster.Channels;

/// <summary>
/// A node's way to the active controller over Kafka's controller APIs (Kafka's NodeToControllerChannelManager): a
/// command runs on this node's own controller while it is the active one, and otherwise goes to the Kafka listener of
/// the node whose Raft address the local controller names as leader (every node in turn while none is known). On
/// NOT_CONTROLLER or a <see cref="NetworkException"/> it retries with doubling backoff, on a new connection after a
/// failure, until it succeeds, the caller cancels or <see cref="RemoteControllerChannelOptions.Timeout"/> passes (then
/// the last failure is thrown). The controller's refusals come back as its typed exceptions. One connection per node,
/// one request in flight on it. Thread-safe; dispose to close the connections.
/// </summary>
internal sealed partial class RemoteControllerChannel : IControllerChannel, IAsyncDisposable
{
    private const int MaxResponseBytes = 1 << 20;

    private readonly RemoteControllerChannelOptions _options;
    private readonly Func<EndPoint?> _activeController;
    private readonly IClusterMetadata? _metadata;
    private readonly int[] _nodes;
    private readonly Dictionary<int, KafkaClientConnection> _connections = [];
    private readonly Lock _connectionsLock = new();
    /// <summary>Ends the client id of every channel, so a node tells a command forwarded to it as the controller from a
    /// client's request.</summary>
    internal const string ClientIdSuffix = "-controller-channel";

    private readonly string _clientId;
    private int _disposed;

    public RemoteControllerChannel(RemoteControllerChannelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        QuorumController? local = options.LocalController;
        _activeController = options.ActiveController ?? (() => local?.ActiveController);
        _metadata = options.Metadata ?? local;
        _nodes = [.. options.KafkaEndpoints.Keys.Order()];
        _clientId = $"logstore-node-{options.NodeId}{ClientIdSuffix}";
    }

    /// <summary>The channel of node <see cref="ReplicationOptions.NodeId"/>: to the nodes' Kafka listeners over
    /// <paramref name="connections"/> (the node's peer transport), in process while <paramref name="controller"/>
    /// is the active one, with the options' request timeout.</summary>
    public static RemoteControllerChannel ForNode(ReplicationOptions options, QuorumController controller,
        Microsoft.AspNetCore.Connections.IConnectionFactory connections, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RemoteControllerChannel(new RemoteControllerChannelOptions
        {
            NodeId = options.NodeId,
            KafkaEndpoints = options.Nodes.ToDictionary(n => n.NodeId, n => (EndPoint)n.Endpoint),
            ControllerEndpoints = options.Nodes.ToDictionary(n => n.NodeId, n => (EndPoint)n.ResolvedControllerEndpoint),
            ConnectionFactory = connections,
            LocalController = controller,
            RequestTimeout = options.RequestTimeout,
            Timeout = options.RequestTimeout * 2,
            TimeProvider = timeProvider,
        });
    }

    /// <summary>Runs one command: locally while this node's controller is active, else by <paramref name="remote"/> on
    /// the active controller's node; retried on NOT_CONTROLLER and network failures.</summary>
    private async ValueTask<T> SendAsync<T>(Func<QuorumController, CancellationToken, ValueTask<T>> local,
        Func<KafkaClientConnection, CancellationToken, ValueTask<T>> remote, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        using var deadline = new CancellationTokenSource(_options.Timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        TimeSpan backoff = _options.RetryBackoff;
        Exception? last = null;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (_options.LocalController is { } controller && IsActive(controller))
                    return await local(controller, linked.Token).ConfigureAwait(false);
                int node = Target(attempt);
                KafkaClientConnection connection = await ConnectionAsync(node, linked.Token).ConfigureAwait(false);
                try
                {
                    return await remote(connection, linked.Token).ConfigureAwait(false);
                }
                catch (NetworkException)
                {
                    await DropAsync(node, connection).ConfigureAwait(false);
                    throw;
                }
            }
            catch (Exception e) when (IsRetriable(e) && !linked.IsCancellationRequested && Volatile.Read(ref _disposed) == 0)
            {
                last = e;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                ThrowTimedOut(last);
            }
            try
            {
                await Task.Delay(backoff, _options.TimeProvider, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                ThrowTimedOut(last);
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxRetryBackoff.Ticks));
        }
    }

    // NOT_CONTROLLER (leadership moved, or no leader yet), a broken connection, or the local controller stopping.
    private static bool IsRetriable(Exception e) => e is NotControllerException or NetworkException or ObjectDisposedException;

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowTimedOut(Exception? last)
    {
        if (last is not null and not ObjectDisposedException)
            ExceptionDispatchInfo.Throw(last);
        throw new NotControllerException(null);
    }

    private static bool IsActive(QuorumController controller)
    {
        try
        {
            return controller.IsActive;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>The node to send to: the one whose controller address the local view names as active, else the
    /// nodes in turn (a node that is not the controller answers NOT_CONTROLLER at once).</summary>
    private int Target(int attempt)
    {
        EndPoint? active;
        try
        {
            active = _activeController();
        }
        catch (ObjectDisposedException)
        {
            active = null;
        }
        if (active is not null)
        {
            foreach ((int node, EndPoint endpoint) in _options.ControllerEndpoints)
            {
                if (endpoint.Equals(active) && _options.KafkaEndpoints.ContainsKey(node))
                    return node;
            }
        }
        return _nodes[attempt % _nodes.Length];
    }

    private async ValueTask<KafkaClientConnection> ConnectionAsync(int node, CancellationToken cancellationToken)
    {
        lock (_connectionsLock)
        {
            if (_connections.TryGetValue(node, out KafkaClientConnection? cached) && cached.IsUsable)
                return cached;
        }
        // Connecting is bounded like a request: an unreachable node must not hold the command past its retries.
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        KafkaClientConnection connection;
        try
        {
            connection = await KafkaClientConnection.ConnectAsync(_options.ConnectionFactory, _options.KafkaEndpoints[node], _clientId,
                MaxResponseBytes, _options.TimeProvider, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new NetworkException($"Cannot connect to node {node} at {_options.KafkaEndpoints[node]} within {_options.RequestTimeout.TotalMilliseconds:0} ms.");
        }
        // Two commands may have connected at once: the first cached connection wins, the other is closed.
        KafkaClientConnection? winner = null;
        KafkaClientConnection? closing = null;
        lock (_connectionsLock)
        {
            if (Volatile.Read(ref _disposed) != 0)
                closing = connection;
            else if (_connections.TryGetValue(node, out KafkaClientConnection? cached) && cached.IsUsable)
                (winner, closing) = (cached, connection);
            else
                (winner, closing, _connections[node]) = (connection, cached, connection);
        }
        if (closing is not null)
            await closing.DisposeAsync().ConfigureAwait(false);
        ObjectDisposedException.ThrowIf(winner is null, this);
        return winner;
    }

    private async ValueTask DropAsync(int node, KafkaClientConnection connection)
    {
        lock (_connectionsLock)
        {
            if (_connections.TryGetValue(node, out KafkaClientConnection? cached) && cached == connection)
                _connections.Remove(node);
        }
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        List<KafkaClientConnection> open;
        lock (_connectionsLock)
        {
            open = [.. _connections.Values];
            _connections.Clear();
        }
        foreach (KafkaClientConnection connection in open)
            await connection.DisposeAsync().ConfigureAwait(false);
    }
}
