using System.Net;
using System.Net.Sockets;
using LogStore.Network.Transport;
using LogStore.Tests.Diagnostics;

namespace LogStore.Tests.Network;

/// <summary>The in-memory transport: backpressure while a request is in flight, refusal without a listener.</summary>
public sealed class InMemoryTransportTests
{
    [Test]
    public async Task RequestInFlight_StopsReading_SoTheClientsFlushWaits()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var handler = new TestRequestHandler();
        await using ListenerHarness harness = await ListenerHarness.StartAsync(TransportKind.InMemory, handler, new CapturingLoggerFactory(), cancellationToken: timeout.Token);
        await using TestClient client = await harness.ConnectAsync(timeout.Token);
        await client.SendAsync(TestClient.Request(TestRequestHandler.Block, 0), timeout.Token);
        await handler.BlockEntered.Task.WaitAsync(timeout.Token);
        const int Count = 40;
        var pipelined = new List<byte>();
        for (int i = 1; i <= Count; i++)
            pipelined.AddRange(TestClient.Request(TestRequestHandler.Echo, i, new byte[64 << 10]));   // 2.5 MiB in all

        ValueTask<System.IO.Pipelines.FlushResult> flush = client.SendPendingAsync(pipelined.ToArray(), timeout.Token);

        Assert.That(flush.IsCompleted, Is.False, "the client could write past the pipe's bound while a request was in flight");
        Assert.That(handler.Requests, Is.EqualTo(1));
        handler.Release.SetResult();
        for (int i = 0; i <= Count; i++)
            Assert.That(TestClient.CorrelationId(await client.ReadResponseAsync(timeout.Token)), Is.EqualTo(i));
        await flush.AsTask().WaitAsync(timeout.Token);
    }

    [Test]
    public void Connect_WithoutABoundListener_IsRefused()
    {
        var transport = new InMemoryConnectionListenerFactory();

        SocketException? refused = Assert.ThrowsAsync<SocketException>(async () => await transport.ConnectAsync());

        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
    }

    [Test]
    public async Task Bind_PortZero_GetsAPortOfItsOwn()
    {
        var transport = new InMemoryConnectionListenerFactory();

        await using Microsoft.AspNetCore.Connections.IConnectionListener listener = await transport.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));

        Assert.That(((IPEndPoint)listener.EndPoint).Port, Is.Not.Zero);
    }
}
