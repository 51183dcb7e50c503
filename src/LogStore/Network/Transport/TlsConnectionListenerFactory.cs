using System.Net;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// TLS over any transport's listener, for peers that accept through a plain <see cref="IConnectionListenerFactory"/>
/// (the Raft controller, which DotNext runs on our factories): each accepted connection is handed to the
/// <see cref="TlsConnectionAdapter"/>, and only one that completes the handshake (with a trusted client certificate
/// when one is required) is returned; a refused one is logged by the adapter and closed. Handshakes run concurrently
/// (at most <see cref="MaxConcurrentHandshakes"/>, each bounded by the adapter's handshake timeout), so that a peer that
/// connects and says nothing delays no other peer: on the controller listener it would otherwise stall elections for a
/// whole handshake timeout. Thread-safe.
/// </summary>
internal sealed class TlsConnectionListenerFactory(IConnectionListenerFactory inner, TlsConnectionAdapter adapter) : IConnectionListenerFactory
{
    /// <summary>Handshakes under way at once; past it the listener stops accepting until one ends.</summary>
    public const int MaxConcurrentHandshakes = 32;

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        => new Listener(await inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), adapter);

    private sealed class Listener : IConnectionListener
    {
        private readonly IConnectionListener _inner;
        private readonly TlsConnectionAdapter _adapter;
        private readonly Channel<ConnectionContext> _secured = Channel.CreateUnbounded<ConnectionContext>();
        private readonly CancellationTokenSource _stop = new();
        // Never disposed: a handshake ending after the listener releases it.
        private readonly SemaphoreSlim _handshakes = new(MaxConcurrentHandshakes);
        private readonly Task _accepting;

        public Listener(IConnectionListener inner, TlsConnectionAdapter adapter)
        {
            _inner = inner;
            _adapter = adapter;
            _accepting = AcceptLoopAsync();
        }

        public EndPoint EndPoint => _inner.EndPoint;

        /// <summary>The next connection whose handshake succeeded; null once the inner listener stopped accepting.</summary>
        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _secured.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException e)
            {
                if (e.InnerException is { } failure)
                    ExceptionDispatchInfo.Throw(failure);
                return null;
            }
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            await _inner.UnbindAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _inner.DisposeAsync().ConfigureAwait(false);
            await _accepting.ConfigureAwait(false);
            _secured.Writer.TryComplete();
            while (_secured.Reader.TryRead(out ConnectionContext? unclaimed))
                await unclaimed.DisposeAsync().ConfigureAwait(false);
        }

        private async Task AcceptLoopAsync()
        {
            await Task.Yield();   // the constructor returns before the first accept
            Exception? failure = null;
            try
            {
                while (true)
                {
                    await _handshakes.WaitAsync(_stop.Token).ConfigureAwait(false);
                    ConnectionContext? connection;
                    try
                    {
                        connection = await _inner.AcceptAsync(_stop.Token).ConfigureAwait(false);
                    }
                    catch
                    {
                        _handshakes.Release();
                        throw;
                    }
                    if (connection is null)
                    {
                        _handshakes.Release();
                        break;
                    }
                    _ = HandshakeAsync(connection);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Disposed: AcceptAsync answers null from here on.
            }
            catch (Exception e)
            {
                failure = e;
            }
            _secured.Writer.TryComplete(failure);
        }

        private async Task HandshakeAsync(ConnectionContext connection)
        {
            try
            {
                ConnectionContext? secured = await _adapter.AuthenticateAsync(connection, _stop.Token).ConfigureAwait(false);
                if (secured is null)
                    await connection.DisposeAsync().ConfigureAwait(false);
                else if (!_secured.Writer.TryWrite(secured))
                    await secured.DisposeAsync().ConfigureAwait(false);   // the listener stopped meanwhile
            }
            catch (Exception)
            {
                // Nobody awaits this task: whatever broke the handshake (the adapter logs refusals) loses only this
                // connection, never the listener.
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                _handshakes.Release();
            }
        }
    }
}
