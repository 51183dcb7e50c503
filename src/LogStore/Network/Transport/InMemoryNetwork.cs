using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// Several in-memory listeners addressed by endpoint, as one process-local network: <see cref="BindAsync"/> gives each
/// endpoint its own <see cref="InMemoryConnectionListenerFactory"/>, and <see cref="ConnectAsync"/> reaches the one bound
/// at an endpoint, or is refused as a closed port is. Several nodes (the Raft controllers of a test cluster) talk through
/// one instance. <see cref="Isolate"/> refuses new connections to and from a node, the seam for fault injection.
/// Thread-safe.
/// </summary>
internal sealed class InMemoryNetwork : IConnectionListenerFactory, IConnectionFactory
{
    private readonly ConcurrentDictionary<EndPoint, InMemoryConnectionListenerFactory> _hosts = new();
    private readonly ConcurrentDictionary<EndPoint, bool> _isolated = new();

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var host = _hosts.GetOrAdd(endpoint, static _ => new InMemoryConnectionListenerFactory());
        return await host.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="SocketException">Nothing listens at <paramref name="endpoint"/>, or it is isolated.</exception>
    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (_isolated.ContainsKey(endpoint) || !_hosts.TryGetValue(endpoint, out var host))
            throw new SocketException((int)SocketError.ConnectionRefused);
        return await host.ConnectContextAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses new connections to <paramref name="endpoint"/> until <see cref="Heal"/>; connections already
    /// open stay (close the node's listener to cut them).</summary>
    public void Isolate(EndPoint endpoint) => _isolated[endpoint] = true;

    /// <summary>Accepts connections to <paramref name="endpoint"/> again.</summary>
    public void Heal(EndPoint endpoint) => _isolated.TryRemove(endpoint, out _);
}
