using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// A transport without sockets: each <see cref="ConnectAsync"/> makes a pair of <see cref="Pipe"/>s, one end for the
/// caller and the other accepted by the bound listener. For tests and deterministic simulations (replication's), where
/// ports, kernels and timing are noise. One listener at a time per factory. Thread-safe.
/// </summary>
internal sealed class InMemoryConnectionListenerFactory : IConnectionListenerFactory
{
    // Accepted-but-not-taken connections, as a listen backlog: ConnectAsync waits when it is full.
    private const int Backlog = 128;
    private static int s_lastPort = 40000;
    private readonly Lock _lock = new();
    private InMemoryConnectionListener? _listener;

    /// <summary>Most bytes buffered in each direction before the writer waits. Default 1 MiB, as the socket transport's input.</summary>
    public int MaxBufferSize { get; init; } = 1 << 20;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (_lock)
        {
            if (_listener is not null)
                throw new AddressInUseException($"{endpoint} is in use by this in-memory transport's listener.");
            // Port 0 gets a made-up port, so the bound endpoint reads like a socket's.
            if (endpoint is IPEndPoint { Port: 0 } ip)
                endpoint = new IPEndPoint(ip.Address, Interlocked.Increment(ref s_lastPort));
            _listener = new InMemoryConnectionListener(this, endpoint, Backlog);
            return ValueTask.FromResult<IConnectionListener>(_listener);
        }
    }

    /// <summary>Connects to the bound listener: returns the client's end (write requests to its Output, read
    /// responses from its Input; complete both to close).</summary>
    /// <exception cref="SocketException">No listener is bound (connection refused).</exception>
    public async ValueTask<IDuplexPipe> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var (toServer, toClient, _) = await OfferAsync(cancellationToken).ConfigureAwait(false);
        return new ClientPipe(toClient.Reader, toServer.Writer);
    }

    /// <summary>Connects to the bound listener and returns the client's end as a connection, as an
    /// <see cref="IConnectionFactory"/> must (the Raft controller's outbound connections).</summary>
    /// <exception cref="SocketException">No listener is bound (connection refused).</exception>
    public async ValueTask<ConnectionContext> ConnectContextAsync(CancellationToken cancellationToken = default)
    {
        var (toServer, toClient, server) = await OfferAsync(cancellationToken).ConfigureAwait(false);
        return InMemoryConnection.Client(toServer, toClient, server.LocalEndPoint!);
    }

    /// <summary>Connects to the bound listener and returns both ends: the client's, and the server's that the listener
    /// hands over (or has handed over) on accept, so <see cref="InMemoryNetwork"/> can tell the server when it cuts the
    /// connection.</summary>
    /// <exception cref="SocketException">No listener is bound (connection refused).</exception>
    internal async ValueTask<(InMemoryConnection Client, InMemoryConnection Server)> ConnectPairAsync(CancellationToken cancellationToken)
    {
        var (toServer, toClient, server) = await OfferAsync(cancellationToken).ConfigureAwait(false);
        return (InMemoryConnection.Client(toServer, toClient, server.LocalEndPoint!), server);
    }

    private async ValueTask<(Pipe ToServer, Pipe ToClient, InMemoryConnection Server)> OfferAsync(CancellationToken cancellationToken)
    {
        InMemoryConnectionListener listener;
        lock (_lock)
            listener = _listener ?? throw new SocketException((int)SocketError.ConnectionRefused);
        var options = new PipeOptions(pauseWriterThreshold: MaxBufferSize, resumeWriterThreshold: MaxBufferSize / 2, useSynchronizationContext: false);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var connection = InMemoryConnection.Server(toServer, toClient, listener.EndPoint);
        if (!await listener.OfferAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new SocketException((int)SocketError.ConnectionRefused);
        }
        return (toServer, toClient, connection);
    }

    internal void Unbound(InMemoryConnectionListener listener)
    {
        lock (_lock)
        {
            if (_listener == listener)
                _listener = null;
        }
    }

    private sealed class ClientPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
