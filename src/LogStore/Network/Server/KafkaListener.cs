using System.Net;
using System.Net.Sockets;
using LogStore.Diagnostics;
using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace LogStore.Network.Server;

/// <summary>
/// A Kafka listener (Kafka's SocketServer acceptor): binds a transport, accepts connections in one loop, wraps each in
/// TLS when configured, and serves it with <see cref="KafkaConnectionHandler"/> on its own task; refuses connections
/// past max.connections at once. <see cref="StopAsync"/> stops accepting, lets requests in flight finish within a
/// deadline, then aborts the rest. Thread-safe.
/// </summary>
internal sealed class KafkaListener : IAsyncDisposable
{
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromSeconds(1);
    private readonly KafkaListenerOptions _options;
    private readonly IConnectionListenerFactory _transport;
    private readonly KafkaConnectionHandler _handler;
    private readonly TlsConnectionAdapter? _tls;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly HashSet<LiveConnection> _live = [];
    private readonly CancellationTokenSource _stopAccepting = new();
    private IConnectionListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private bool _stopped;

    public KafkaListener(KafkaListenerOptions options, IKafkaRequestHandler requestHandler, IConnectionListenerFactory transport,
        TimeProvider time, ILogger logger, ReplicationOptions? peers = null)
    {
        _options = options;
        _transport = transport;
        _time = time;
        _logger = logger;
        _handler = new KafkaConnectionHandler(requestHandler, options, time, logger);
        _tls = options.Tls is { } tls ? new TlsConnectionAdapter(tls, time, logger, peers?.Peers, peersOnly: false, peers?.NodeId ?? -1) : null;
    }

    /// <summary>The bound address, its port resolved; null before <see cref="StartAsync"/>.</summary>
    public IPEndPoint? Endpoint { get; private set; }

    /// <summary>Connections being served now.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_lock)
                return _live.Count;
        }
    }

    /// <summary>Binds and starts accepting; returns the bound address.</summary>
    public async ValueTask<IPEndPoint> StartAsync(CancellationToken cancellationToken = default)
    {
        _listener = await _transport.BindAsync(_options.Endpoint, cancellationToken).ConfigureAwait(false);
        Endpoint = _listener.EndPoint as IPEndPoint ?? _options.Endpoint;
        NetworkLog.ListenerStarted(_logger, Endpoint);
        _accepting = AcceptLoopAsync(_listener);
        return Endpoint;
    }

    /// <summary>
    /// Stops accepting, asks every connection to close after its request in flight, waits for them up to
    /// <paramref name="deadline"/> (on the listener's clock), then aborts those left and waits for them to end.
    /// </summary>
    public async ValueTask StopAsync(TimeSpan deadline)
    {
        // Created first, so that a deadline on a fake clock runs from this call.
        using var deadlineCts = new CancellationTokenSource();
        Task deadlineElapsed = Task.Delay(deadline, _time, deadlineCts.Token);
        lock (_lock)
        {
            if (_stopped)
                return;
            _stopped = true;
        }
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        if (_listener is not null)
            await _listener.UnbindAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        LiveConnection[] live;
        lock (_lock)
            live = [.. _live];
        var serving = new Task[live.Length];
        for (int i = 0; i < live.Length; i++)
        {
            live[i].RequestClose();
            serving[i] = live[i].Serving;
        }
        Task all = Task.WhenAll(serving);
        int aborted = 0;
        if (await Task.WhenAny(all, deadlineElapsed).ConfigureAwait(false) != all)
        {
            foreach (LiveConnection connection in live)
            {
                if (!connection.Serving.IsCompleted)
                {
                    connection.Abort();
                    aborted++;
                }
            }
        }
        await deadlineCts.CancelAsync().ConfigureAwait(false);
        await all.ConfigureAwait(false);
        if (_listener is not null)
            await _listener.DisposeAsync().ConfigureAwait(false);
        NetworkLog.ListenerStopped(_logger, (EndPoint?)Endpoint ?? _options.Endpoint, live.Length - aborted, aborted);
        _stopAccepting.Dispose();
    }

    /// <summary>Stops with a deadline of 30 seconds.</summary>
    public ValueTask DisposeAsync() => StopAsync(TimeSpan.FromSeconds(30));

    private async Task AcceptLoopAsync(IConnectionListener listener)
    {
        await Task.Yield();
        while (true)
        {
            ConnectionContext? connection;
            try
            {
                connection = await listener.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors (EMFILE), say: Kafka's acceptor logs and goes on accepting; so does this, a
                // second later, so that a lasting failure is not a busy loop.
                NetworkLog.AcceptFailed(_logger, listener.EndPoint, e);
                try
                {
                    await Task.Delay(AcceptRetryDelay, _time, _stopAccepting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            catch (Exception e)
            {
                NetworkLog.AcceptFailed(_logger, listener.EndPoint, e);
                return;
            }
            if (connection is null)
                return;
            var live = new LiveConnection(connection);
            int count = 0;
            lock (_lock)
            {
                if (!_stopped && _live.Count < _options.MaxConnections)
                {
                    _live.Add(live);
                    live.Serving = ServeAsync(live);
                    continue;
                }
                count = _live.Count;
            }
            NetworkLog.ConnectionRefusedLimit(_logger, connection.ConnectionId, connection.RemoteEndPoint, count);
            connection.Abort(new ConnectionAbortedException("Too many connections (max.connections)."));
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(LiveConnection live)
    {
        await Task.Yield();   // beside the accept loop, never on it
        ConnectionContext accepted = live.Current;
        try
        {
            if (_tls is not null)
            {
                if (await _tls.AuthenticateAsync(accepted, accepted.ConnectionClosed).ConfigureAwait(false) is not { } secure)
                    return;
                live.Current = secure;
            }
            await _handler.OnConnectedAsync(live.Current).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The handler logs and swallows what a peer causes; this is a transport's failure, and it stays with this connection.
            NetworkLog.RequestFailed(_logger, accepted.ConnectionId, accepted.RemoteEndPoint, e);
        }
        finally
        {
            try
            {
                if (live.Current != accepted)
                    await live.Current.DisposeAsync().ConfigureAwait(false);
                await accepted.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // Closing a connection that already failed: it is closed either way.
            }
            lock (_lock)
                _live.Remove(live);
        }
    }

    private sealed class LiveConnection(ConnectionContext accepted)
    {
        private volatile ConnectionContext _current = accepted;

        public ConnectionContext Current
        {
            get => _current;
            set => _current = value;
        }

        public Task Serving { get; set; } = Task.CompletedTask;

        public void RequestClose() => Current.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();

        public void Abort() => Current.Abort(new ConnectionAbortedException("The listener stopped before this connection's request finished."));
    }
}
