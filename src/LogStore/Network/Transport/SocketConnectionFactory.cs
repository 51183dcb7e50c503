using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// Outbound TCP connections on LogStore's socket transport: connects a socket and pumps it through the same
/// <see cref="SocketConnection"/> an accepted one gets, with the buffer limits of <paramref name="settings"/>. Nagle is
/// off, since Raft's and the fetchers' requests are small and latency-bound. Thread-safe.
/// </summary>
internal sealed class SocketConnectionFactory(SocketConnectionListenerFactory settings) : IConnectionFactory
{
    public SocketConnectionFactory()
        : this(new SocketConnectionListenerFactory())
    {
    }

    /// <exception cref="SocketException">The connection is refused or fails.</exception>
    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        // A DnsEndPoint has no address family yet: a dual-mode socket reaches both IPv4 and IPv6 answers.
        var socket = endpoint.AddressFamily is AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new SocketConnection(socket, settings);
        connection.Start();
        return connection;
    }
}
