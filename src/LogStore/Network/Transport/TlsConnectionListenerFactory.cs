using System.Net;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// TLS over any transport's listener, for peers that accept through a plain <see cref="IConnectionListenerFactory"/>
/// (the Raft controller, which DotNext runs on our factories): each accepted connection is handed to the
/// <see cref="TlsConnectionAdapter"/>, and only one that completes the handshake (with a trusted client certificate
/// when one is required) is returned; a refused one is logged by the adapter, closed, and the next is accepted.
/// Handshakes run in the accept loop, one at a time, each bounded by the adapter's handshake timeout. Thread-safe.
/// </summary>
internal sealed class TlsConnectionListenerFactory(IConnectionListenerFactory inner, TlsConnectionAdapter adapter) : IConnectionListenerFactory
{
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        => new Listener(await inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), adapter);

    private sealed class Listener(IConnectionListener inner, TlsConnectionAdapter adapter) : IConnectionListener
    {
        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                var connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
                if (connection is null)
                    return null;
                var secured = await adapter.AuthenticateAsync(connection, cancellationToken).ConfigureAwait(false);
                if (secured is not null)
                    return secured;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
