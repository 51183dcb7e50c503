using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// Several in-memory listeners addressed by endpoint, as one process-local network: <see cref="BindAsync"/> gives each
/// endpoint its own <see cref="InMemoryConnectionListenerFactory"/>, and <see cref="ConnectAsync"/> reaches the one bound
/// at an endpoint, or is refused as a closed port is. Several nodes (the Raft controllers of a test cluster) talk through
/// one instance. <see cref="Isolate"/> cuts a node off as a network partition does: its open connections are severed
/// and new ones to it (or, through <see cref="For"/>, from it) are refused until <see cref="Heal"/>. Thread-safe.
/// </summary>
internal sealed class InMemoryNetwork : IConnectionListenerFactory, IConnectionFactory
{
    private readonly ConcurrentDictionary<EndPoint, InMemoryConnectionListenerFactory> _hosts = new();
    private readonly ConcurrentDictionary<EndPoint, bool> _isolated = new();
    private readonly ConcurrentDictionary<InMemoryRelayedConnection, (EndPoint? From, EndPoint To)> _links = new();

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var host = _hosts.GetOrAdd(endpoint, static _ => new InMemoryConnectionListenerFactory());
        return await host.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="SocketException">Nothing listens at <paramref name="endpoint"/>, or it is isolated.</exception>
    public ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        => ConnectFromAsync(null, endpoint, cancellationToken);

    /// <summary>The connection factory of the node at <paramref name="self"/>: its connections are cut when it is
    /// isolated, as well as when their target is.</summary>
    public IConnectionFactory For(EndPoint self) => new NodeConnector(this, self);

    /// <summary>Severs every open connection to or from <paramref name="endpoint"/> and refuses new ones until
    /// <see cref="Heal"/>.</summary>
    public void Isolate(EndPoint endpoint)
    {
        _isolated[endpoint] = true;
        foreach (var (link, ends) in _links)
        {
            if (Equals(ends.To, endpoint) || Equals(ends.From, endpoint))
                link.Sever();
        }
    }

    /// <summary>Accepts connections to and from <paramref name="endpoint"/> again.</summary>
    public void Heal(EndPoint endpoint) => _isolated.TryRemove(endpoint, out _);

    private async ValueTask<ConnectionContext> ConnectFromAsync(EndPoint? from, EndPoint to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(to);
        if (_isolated.ContainsKey(to) || (from is not null && _isolated.ContainsKey(from)) || !_hosts.TryGetValue(to, out var host))
            throw new SocketException((int)SocketError.ConnectionRefused);
        var link = new InMemoryRelayedConnection(await host.ConnectContextAsync(cancellationToken).ConfigureAwait(false));
        _links[link] = (from, to);
        link.ConnectionClosed.UnsafeRegister(static s => Forget(((InMemoryNetwork, InMemoryRelayedConnection))s!), (this, link));
        // An isolation that raced with this connect cuts it too.
        if (_isolated.ContainsKey(to) || (from is not null && _isolated.ContainsKey(from)))
            link.Sever();
        return link;
    }

    private static void Forget((InMemoryNetwork Network, InMemoryRelayedConnection Link) closed)
        => closed.Network._links.TryRemove(closed.Link, out _);

    private sealed class NodeConnector(InMemoryNetwork network, EndPoint self) : IConnectionFactory
    {
        public ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
            => network.ConnectFromAsync(self, endpoint, cancellationToken);
    }
}
