using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>The in-memory transport's listener: a bounded queue of connections that clients made. Thread-safe.</summary>
internal sealed class InMemoryConnectionListener : IConnectionListener
{
    private readonly InMemoryConnectionListenerFactory _factory;
    private readonly Channel<InMemoryConnection> _backlog;

    public InMemoryConnectionListener(InMemoryConnectionListenerFactory factory, EndPoint endpoint, int backlog)
    {
        _factory = factory;
        EndPoint = endpoint;
        _backlog = Channel.CreateBounded<InMemoryConnection>(new BoundedChannelOptions(backlog) { SingleReader = true });
    }

    public EndPoint EndPoint { get; }

    /// <summary>Queues a client's connection; false when the listener is unbound.</summary>
    internal async ValueTask<bool> OfferAsync(InMemoryConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await _backlog.Writer.WriteAsync(connection, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _backlog.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _factory.Unbound(this);
        _backlog.Writer.TryComplete();
        // Connections queued but never accepted are closed, as a socket's backlog is reset.
        while (_backlog.Reader.TryRead(out InMemoryConnection? queued))
            await queued.DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => UnbindAsync();
}
