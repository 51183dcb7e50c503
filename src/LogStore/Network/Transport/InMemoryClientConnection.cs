using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// The client's end of an in-memory connection, as a <see cref="ConnectionContext"/>: reads what the server wrote,
/// writes to the server's input. Abort wakes a waiting flush; dispose completes the client's ends, which the server sees
/// as the end of its input, as a closed socket. Thread-safe.
/// </summary>
internal sealed class InMemoryClientConnection : TransportConnection
{
    private readonly Pipe _toServer;
    private int _disposed;

    public InMemoryClientConnection(Pipe toServer, Pipe toClient, EndPoint remoteEndPoint)
    {
        _toServer = toServer;
        Transport = new ClientPipe(toClient.Reader, toServer.Writer);
        RemoteEndPoint = remoteEndPoint;
    }

    protected override void OnAbort(ConnectionAbortedException abortReason) => _toServer.Writer.CancelPendingFlush();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        DisposeTokens();
    }

    private sealed class ClientPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
