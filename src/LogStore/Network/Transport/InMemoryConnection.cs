using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// One end of an in-memory connection (the server's or the client's): reads what the other end wrote to one pipe,
/// writes to the other. Abort fires <c>ConnectionClosed</c> and wakes a waiting flush (the application stops at its
/// next step); dispose completes this end's pipe ends, which the other end sees as the end of its input, as a closed
/// socket. Thread-safe.
/// </summary>
internal sealed class InMemoryConnection : TransportConnection
{
    private readonly Pipe _outgoing;
    private int _disposed;

    private InMemoryConnection(Pipe incoming, Pipe outgoing)
    {
        _outgoing = outgoing;
        Transport = new DuplexPipe(incoming.Reader, outgoing.Writer);
    }

    /// <summary>The server's end, which reads <paramref name="toServer"/>.</summary>
    public static InMemoryConnection Server(Pipe toServer, Pipe toClient, EndPoint localEndPoint) =>
        new(toServer, toClient) { LocalEndPoint = localEndPoint };

    /// <summary>The client's end, which reads <paramref name="toClient"/>.</summary>
    public static InMemoryConnection Client(Pipe toServer, Pipe toClient, EndPoint remoteEndPoint) =>
        new(toClient, toServer) { RemoteEndPoint = remoteEndPoint };

    protected override void OnAbort(ConnectionAbortedException abortReason) => _outgoing.Writer.CancelPendingFlush();

    /// <summary>Fires <c>ConnectionClosed</c> because the network cut the connection (its pipes end through the relay
    /// that owns their other ends), as a socket's fires when its peer resets it.</summary>
    internal void OnCutByNetwork() => FireClosed();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        DisposeTokens();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
