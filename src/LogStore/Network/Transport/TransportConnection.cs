using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace LogStore.Network.Transport;

/// <summary>
/// What every LogStore transport's connection shares (Kestrel's TransportConnection, smaller): an id, a feature
/// collection, <c>ConnectionClosed</c> fired once on abort or dispose, and the graceful-close
/// request (<see cref="IConnectionLifetimeNotificationFeature"/>) a listener uses to drain a connection at shutdown.
/// Thread-safe: Abort, RequestClose and DisposeAsync may race with the connection's own work.
/// </summary>
internal abstract class TransportConnection : ConnectionContext, IConnectionLifetimeNotificationFeature
{
    private static long s_lastId;
    private readonly CancellationTokenSource _closed = new();
    private readonly CancellationTokenSource _closeRequested = new();
    private IDictionary<object, object?>? _items;

    protected TransportConnection(string? connectionId = null)
    {
        ConnectionId = connectionId ?? NewConnectionId();
        ConnectionClosed = _closed.Token;
        ConnectionClosedRequested = _closeRequested.Token;
        Features.Set<IConnectionLifetimeNotificationFeature>(this);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; } = null!;

    /// <summary>Fired by <see cref="RequestClose"/>: finish the request in flight, then close.</summary>
    public CancellationToken ConnectionClosedRequested { get; set; }

    public void RequestClose() => Fire(_closeRequested);

    public override void Abort(ConnectionAbortedException abortReason)
    {
        OnAbort(abortReason);
        FireClosed();
    }

    /// <summary>Tears the transport down at once: pending reads and writes of the application fail or complete.</summary>
    protected abstract void OnAbort(ConnectionAbortedException abortReason);

    /// <summary>Fires <c>ConnectionClosed</c> (once; later calls do nothing).</summary>
    protected void FireClosed() => Fire(_closed);

    /// <summary>Releases the token sources, after the transport has stopped.</summary>
    protected void DisposeTokens()
    {
        FireClosed();
        _closed.Dispose();
        _closeRequested.Dispose();
    }

    // Ids unique in the process, short enough for a log line (Kestrel's are 13 base32 characters).
    private static string NewConnectionId() => "c" + Interlocked.Increment(ref s_lastId).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    private static void Fire(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the connection is gone, nobody listens any more.
        }
        catch (AggregateException)
        {
            // A callback registered by the application threw; the connection closes all the same.
        }
    }
}
