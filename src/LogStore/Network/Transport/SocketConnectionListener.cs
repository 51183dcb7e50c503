using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>A bound listening socket: accepts connections until unbound. Thread-safe; one accept at a time.</summary>
internal sealed class SocketConnectionListener(Socket listenSocket, SocketConnectionListenerFactory factory) : IConnectionListener
{
    /// <summary>The bound address, its port resolved when 0 was asked for.</summary>
    public EndPoint EndPoint { get; } = listenSocket.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // The peer gave up before we accepted: nothing to serve, take the next one.
                continue;
            }
            if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                socket.NoDelay = true;   // Kafka's brokers set TCP_NODELAY: a response leaves when written.
            var connection = new SocketConnection(socket, factory);
            connection.Start();
            return connection;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        listenSocket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        listenSocket.Dispose();
        return ValueTask.CompletedTask;
    }
}
