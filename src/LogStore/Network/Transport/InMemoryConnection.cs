using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// The server's end of an in-memory connection: reads what the client wrote to one pipe, writes to the other. Abort
/// fires <c>ConnectionClosed</c> and wakes a waiting flush (the application stops at its next
/// step); dispose completes the server's ends, which the client sees as the end of its input. Thread-safe.
/// </summary>
internal sealed class InMemoryConnection : TransportConnection
{
    private readonly Pipe _toClient;
    private int _disposed;

    public InMemoryConnection(Pipe toServer, Pipe toClient, EndPoint localEndPoint)
    {
        _toClient = toClient;
        Transport = new ServerPipe(toServer.Reader, toClient.Writer);
        LocalEndPoint = localEndPoint;
    }

    protected override void OnAbort(ConnectionAbortedException abortReason) => _toClient.Writer.CancelPendingFlush();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        DisposeTokens();
    }

    private sealed class ServerPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
