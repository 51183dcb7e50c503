using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// Several in-memory listeners addressed by endpoint, as one process-local network: <see cref="BindAsync"/> gives each
/// endpoint its own <see cref="InMemoryConnectionListenerFactory"/>, and <see cref="ConnectAsync"/> reaches the one bound
/// at an endpoint, or is refused as a closed port is. Several nodes (the Raft controllers and brokers of a test cluster)
/// talk through one instance.
/// <para>Endpoints belong to hosts: <see cref="DefineHost"/> groups a node's endpoints (its Kafka listener and its
/// controller) under one name so a fault hits the whole node; an endpoint outside every defined host is a host of its
/// own, named by <see cref="HostOf"/>. A connection made through <see cref="For"/> comes from the host of its
/// <c>self</c>; one made with <see cref="ConnectAsync"/> comes from outside every host. The faults
/// (InMemoryNetwork.Faults.cs: isolate, partition, sever, delay, pause) apply to open connections and new ones.</para>
/// Thread-safe: faults may be applied while connections are made and used.
/// </summary>
internal sealed partial class InMemoryNetwork : IConnectionListenerFactory, IConnectionFactory
{
    private readonly ConcurrentDictionary<EndPoint, InMemoryConnectionListenerFactory> _listeners = new();
    // Everything below is guarded by _lock; links are cut outside it (a cut may run a pump's end, which takes it).
    private readonly Lock _lock = new();
    private readonly Dictionary<EndPoint, string> _hostOf = new();
    private readonly SortedDictionary<long, InMemoryRelayedConnection> _links = new();
    private long _lastLinkId;
    private int _heldChunks;
    private long _relayedChunks;

    /// <summary>The clock of <see cref="Delay(string, TimeSpan, TimeSpan)"/>'s delays (a FakeTimeProvider in tests).
    /// Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The seed of each link's delay draws (mixed with the link's id). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Chunks read from a sender and not yet relayed because of a delay or a pause: bytes in flight.</summary>
    public int HeldChunks => Volatile.Read(ref _heldChunks);

    /// <summary>Chunks relayed so far over every link: a simulation's sign that its nodes are still talking.</summary>
    public long RelayedChunks => Interlocked.Read(ref _relayedChunks);

    /// <summary>The open connections, by id (connect order).</summary>
    public IReadOnlyList<InMemoryLink> Links
    {
        get
        {
            lock (_lock)
                return [.. _links.Values.Select(static l => l.Link)];
        }
    }

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var listener = _listeners.GetOrAdd(endpoint, static _ => new InMemoryConnectionListenerFactory());
        return await listener.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects from outside every host.</summary>
    /// <exception cref="SocketException">Nothing listens at <paramref name="endpoint"/>, or its host is isolated.</exception>
    public ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        => ConnectFromAsync(null, endpoint, cancellationToken);

    /// <summary>The connection factory of the node at <paramref name="self"/>: its connections come from the host of
    /// <paramref name="self"/> (looked up at each connect), so that host's faults apply to them.</summary>
    public IConnectionFactory For(EndPoint self)
    {
        ArgumentNullException.ThrowIfNull(self);
        return new NodeConnector(this, self);
    }

    /// <summary>Puts <paramref name="endpoints"/> in the host <paramref name="name"/> (made on the first call; later calls
    /// add endpoints). Define hosts before connecting: an open connection keeps the hosts it was made between.</summary>
    /// <exception cref="ArgumentException">The name is empty, no endpoint is given, or one already belongs to another
    /// host.</exception>
    public void DefineHost(string name, params EndPoint[] endpoints)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Length == 0)
            throw new ArgumentException($"Host '{name}' needs at least one endpoint.", nameof(endpoints));
        lock (_lock)
        {
            foreach (EndPoint endpoint in endpoints)
            {
                ArgumentNullException.ThrowIfNull(endpoint, nameof(endpoints));
                if (_hostOf.TryGetValue(endpoint, out string? other) && other != name)
                    throw new ArgumentException($"{endpoint} already belongs to host '{other}'; it cannot join '{name}'.", nameof(endpoints));
            }
            foreach (EndPoint endpoint in endpoints)
                _hostOf[endpoint] = name;
        }
    }

    /// <summary>The host of <paramref name="endpoint"/>: the one defined with it, or else its own, named by
    /// the endpoint's text (<c>127.0.0.1:9092</c>).</summary>
    public string HostOf(EndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (_lock)
            return HostOfLocked(endpoint);
    }

    /// <summary>Removes a link whose pumps have both ended.</summary>
    internal void Forget(InMemoryRelayedConnection link)
    {
        lock (_lock)
            _links.Remove(link.Link.Id);
    }

    internal void OnHeld(int change) => Interlocked.Add(ref _heldChunks, change);

    internal void OnRelayed() => Interlocked.Increment(ref _relayedChunks);

    private string HostOfLocked(EndPoint endpoint) => _hostOf.TryGetValue(endpoint, out string? host) ? host : endpoint.ToString()!;

    private async ValueTask<ConnectionContext> ConnectFromAsync(EndPoint? from, EndPoint to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(to);
        string? fromHost;
        string toHost;
        lock (_lock)
        {
            fromHost = from is null ? null : HostOfLocked(from);
            toHost = HostOfLocked(to);
            if (IsCutLocked(fromHost, toHost))
                throw new SocketException((int)SocketError.ConnectionRefused);
        }
        if (!_listeners.TryGetValue(to, out var listener))
            throw new SocketException((int)SocketError.ConnectionRefused);
        var (client, server) = await listener.ConnectPairAsync(cancellationToken).ConfigureAwait(false);
        InMemoryRelayedConnection relayed;
        bool cut;
        lock (_lock)
        {
            relayed = new InMemoryRelayedConnection(this, new InMemoryLink(++_lastLinkId, fromHost, toHost, to), client, server);
            _links.Add(relayed.Link.Id, relayed);
            ApplyLocked(relayed);
            // An isolation or partition that raced with this connect cuts it too.
            cut = IsCutLocked(fromHost, toHost);
        }
        if (cut)
            relayed.Cut(null);
        relayed.Start();
        return relayed;
    }

    private sealed class NodeConnector(InMemoryNetwork network, EndPoint self) : IConnectionFactory
    {
        public ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
            => network.ConnectFromAsync(self, endpoint, cancellationToken);
    }
}
