using System.Net;
using System.Net.Sockets;
using LogStore.Diagnostics;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// LogStore's own TCP transport (Kestrel's socket transport, smaller): binds a listening socket, and gives each accepted
/// socket a <see cref="SocketConnection"/> whose pipes are pumped to and from it, with the zero-copy file send as a
/// feature. Kestrel is not needed; an ASP.NET Core application may serve the Kafka <c>ConnectionHandler</c> on its own
/// Kestrel instead. Thread-safe.
/// </summary>
internal sealed class SocketConnectionListenerFactory : IConnectionListenerFactory
{
    private const int SolSocket = 1;     // Linux's SOL_SOCKET
    private const int SoReuseAddr = 2;   // Linux's SO_REUSEADDR
    private long _sendFileBytes;

    /// <summary>Most bytes received and not yet consumed per connection before receiving pauses (Kestrel's
    /// MaxReadBufferSize): the socket's receive buffer and then the client's send window fill, so a client that sends
    /// faster than its requests are handled waits. Default 1 MiB.</summary>
    public int MaxReadBufferSize { get; init; } = 1 << 20;

    /// <summary>Most response bytes written and not yet sent per connection before a flush waits (Kestrel's
    /// MaxWriteBufferSize): a client that reads slowly holds one connection's writer, never memory. Default 64 KiB.</summary>
    public int MaxWriteBufferSize { get; init; } = 64 << 10;

    /// <summary>Bytes every connection of this factory sent from files with <c>sendfile(2)</c> (the process-wide metric is
    /// <c>logstore.network.sendfile.bytes</c>).</summary>
    public long SendFileBytes => Interlocked.Read(ref _sendFileBytes);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        bool ip = endpoint is IPEndPoint;
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ip ? ProtocolType.Tcp : ProtocolType.Unspecified);
        try
        {
            if (endpoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any))
                socket.DualMode = true;
            // A restarted broker binds its port again at once, past connections left in TIME_WAIT: Linux's SO_REUSEADDR,
            // set raw, because .NET's ReuseAddress also sets SO_REUSEPORT there, which lets two listeners share a port.
            if (ip && OperatingSystem.IsLinux())
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException($"{endpoint} is in use: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return ValueTask.FromResult<IConnectionListener>(new SocketConnectionListener(socket, this));
    }

    internal void AddSendFileBytes(long bytes)
    {
        Interlocked.Add(ref _sendFileBytes, bytes);
        LogStoreMetrics.RecordSendFile(bytes);
    }
}
