using System.IO.Pipelines;
using System.Net.Security;
using LogStore.Network.Features;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace LogStore.Network.Transport;

/// <summary>
/// A connection of any transport after a TLS handshake: its pipes read and write through an <see cref="SslStream"/>
/// over the inner connection's pipes. Only <see cref="ISslStreamFeature"/> and the lifetime features are exposed, never
/// the inner one's <see cref="IZeroCopySendFeature"/> (file bytes must be encrypted, so they are copied). Abort aborts
/// the inner connection; dispose sends TLS close_notify, then disposes the inner one. Thread-safe.
/// </summary>
internal sealed class TlsConnection : TransportConnection, ISslStreamFeature
{
    private readonly ConnectionContext _inner;
    private readonly CancellationTokenRegistration _innerClosed;
    private readonly CancellationTokenRegistration _innerCloseRequested;
    private int _disposed;

    public TlsConnection(ConnectionContext inner, SslStream sslStream)
        : base(inner.ConnectionId)
    {
        _inner = inner;
        SslStream = sslStream;
        LocalEndPoint = inner.LocalEndPoint;
        RemoteEndPoint = inner.RemoteEndPoint;
        Transport = new TlsPipe(
            PipeReader.Create(sslStream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(sslStream, new StreamPipeWriterOptions(leaveOpen: true)));
        Features.Set<ISslStreamFeature>(this);
        _innerClosed = inner.ConnectionClosed.UnsafeRegister(static s => ((TlsConnection)s!).FireClosed(), this);
        // A listener that asked the inner connection to close (the handshake was under way) asks this one too.
        CancellationToken innerCloseRequested = inner.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        _innerCloseRequested = innerCloseRequested.UnsafeRegister(static s => ((TlsConnection)s!).RequestClose(), this);
    }

    public SslStream SslStream { get; }

    protected override void OnAbort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _innerClosed.DisposeAsync().ConfigureAwait(false);
        await _innerCloseRequested.DisposeAsync().ConfigureAwait(false);
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await Transport.Output.CompleteAsync().ConfigureAwait(false);   // flushes what was written
            await SslStream.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // The peer is gone or the connection was aborted: nothing more can be said to it.
        }
        await SslStream.DisposeAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        DisposeTokens();
    }

    private sealed class TlsPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
