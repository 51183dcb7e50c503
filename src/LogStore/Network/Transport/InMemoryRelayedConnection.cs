using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// A client connection of <see cref="InMemoryNetwork"/> that runs through two pumps, so the network can cut it the way
/// a network partition would: <see cref="Sever"/> stops both pumps, which end both sides' input as a reset socket
/// would, without touching a pipe end the application still writes to (each pump owns the ends it completes).
/// Thread-safe.
/// </summary>
internal sealed class InMemoryRelayedConnection : TransportConnection
{
    private readonly ConnectionContext _inner;
    private readonly Pipe _fromApplication;
    private readonly Pipe _toApplication;
    private readonly CancellationTokenSource _severed = new();
    private readonly Task _sending;
    private readonly Task _receiving;
    private int _disposed;

    public InMemoryRelayedConnection(ConnectionContext inner)
    {
        _inner = inner;
        var options = new PipeOptions(useSynchronizationContext: false);
        _fromApplication = new Pipe(options);
        _toApplication = new Pipe(options);
        Transport = new RelayPipe(_toApplication.Reader, _fromApplication.Writer);
        LocalEndPoint = inner.LocalEndPoint;
        RemoteEndPoint = inner.RemoteEndPoint;
        _sending = PumpAsync(_fromApplication.Reader, inner.Transport.Output);
        _receiving = PumpAsync(inner.Transport.Input, _toApplication.Writer);
    }

    /// <summary>Cuts the connection: both sides' reads end, later writes go nowhere.</summary>
    public void Sever()
    {
        try
        {
            _severed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    protected override void OnAbort(ConnectionAbortedException abortReason) => Sever();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        Sever();
        await Task.WhenAll(_sending, _receiving).ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        _severed.Dispose();
        DisposeTokens();
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to)
    {
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(_severed.Token).ConfigureAwait(false);
                foreach (var segment in read.Buffer)
                    to.Write(segment.Span);
                from.AdvanceTo(read.Buffer.End);
                var flushed = await to.FlushAsync(_severed.Token).ConfigureAwait(false);
                if (read.IsCompleted || flushed.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // Severed, or an end was completed under the pump: either way this direction is over.
        }
        await from.CompleteAsync().ConfigureAwait(false);
        await to.CompleteAsync().ConfigureAwait(false);
        FireClosed();
    }

    private sealed class RelayPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
