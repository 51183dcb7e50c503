using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Tests.Network;

/// <summary>The socket transport alone: bind on port 0, address in use, abort and graceful dispose.</summary>
public sealed class SocketTransportTests
{
    [Test]
    public async Task Bind_PortZero_TheBoundEndpointHasThePort()
    {
        var transport = new SocketConnectionListenerFactory();

        await using IConnectionListener listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));

        var bound = (IPEndPoint)listener.EndPoint;
        Assert.That(bound.Port, Is.Not.Zero);
        Assert.That(bound.Address, Is.EqualTo(IPAddress.Loopback));
    }

    [Test]
    public async Task Bind_AnAddressInUse_ThrowsAddressInUseException()
    {
        var transport = new SocketConnectionListenerFactory();
        await using IConnectionListener first = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.ThrowsAsync<AddressInUseException>(async () => await transport.BindAsync(first.EndPoint));
    }

    [Test]
    public async Task Abort_ClosesThePeersConnection_AndFiresConnectionClosed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        (IConnectionListener listener, ConnectionContext server, Socket client) = await ConnectAsync(timeout.Token);
        await using IConnectionListener _ = listener;
        using Socket __ = client;

        server.Abort(new ConnectionAbortedException("test"));

        Assert.That(server.ConnectionClosed.IsCancellationRequested, Is.True);
        Assert.That(await ReadToEndAsync(client, timeout.Token), Is.Empty);
        await server.DisposeAsync().AsTask().WaitAsync(timeout.Token);
    }

    [Test]
    public async Task Dispose_SendsWhatWasWritten_ThenCloses()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        (IConnectionListener listener, ConnectionContext server, Socket client) = await ConnectAsync(timeout.Token);
        await using IConnectionListener _ = listener;
        using Socket __ = client;
        byte[] payload = new byte[300_000];
        new Random(5).NextBytes(payload);
        await server.Transport.Output.WriteAsync(payload, timeout.Token);

        Task<byte[]> reading = ReadToEndAsync(client, timeout.Token);
        await server.DisposeAsync().AsTask().WaitAsync(timeout.Token);

        Assert.That((await reading).AsSpan().SequenceEqual(payload), Is.True, "bytes written before dispose were lost (seed 5)");
    }

    [Test]
    public async Task PeerCloses_TheInputCompletes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        (IConnectionListener listener, ConnectionContext server, Socket client) = await ConnectAsync(timeout.Token);
        await using IConnectionListener _ = listener;
        await client.SendAsync("bye"u8.ToArray(), SocketFlags.None, timeout.Token);
        client.Shutdown(SocketShutdown.Send);

        var received = new List<byte>();
        for (int reads = 0; reads < 100; reads++)
        {
            ReadResult result = await server.Transport.Input.ReadAsync(timeout.Token);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                received.AddRange(segment.ToArray());
            server.Transport.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                break;
        }

        Assert.That(received, Is.EqualTo("bye"u8.ToArray()));
        client.Dispose();
        await server.DisposeAsync().AsTask().WaitAsync(timeout.Token);
    }

    private static async Task<(IConnectionListener, ConnectionContext, Socket)> ConnectAsync(CancellationToken cancellationToken)
    {
        var transport = new SocketConnectionListenerFactory();
        IConnectionListener listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0), cancellationToken);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoint, cancellationToken);
        ConnectionContext? server = await listener.AcceptAsync(cancellationToken);
        Assert.That(server, Is.Not.Null);
        return (listener, server!, client);
    }

    /// <summary>Reads until the peer closes (end of stream or reset), at most 1,000 reads.</summary>
    private static async Task<byte[]> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        byte[] buffer = new byte[64 << 10];
        for (int reads = 0; reads < 1000; reads++)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }
            if (n == 0)
                break;
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        return [.. received];
    }
}
