using System.Buffers.Binary;
using LogStore.Tests.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Network;

/// <summary>
/// What the Kafka listener promises on every transport: framing across any segment boundaries, answers in request
/// order with one request in flight, size limits checked before the body, failures closing only their connection, the
/// idle timeout, the connection limit and a draining stop. Each test is bounded by a 30-second token.
/// </summary>
[TestFixture(TransportKind.InMemory)]
[TestFixture(TransportKind.Tcp4)]
[TestFixture(TransportKind.Tcp6)]
[TestFixture(TransportKind.TlsOverTcp4)]
public sealed class KafkaListenerContractTests(TransportKind kind)
{
    private CancellationTokenSource _timeout = null!;
    private CapturingLoggerFactory _logs = null!;
    private TestRequestHandler _handler = null!;

    private CancellationToken Token => _timeout.Token;

    [SetUp]
    public void SetUp()
    {
        _timeout = new CancellationTokenSource();
        _timeout.CancelAfter(TimeSpan.FromSeconds(30));
        _logs = new CapturingLoggerFactory();
        _handler = new TestRequestHandler();
    }

    [TearDown]
    public void TearDown()
    {
        _handler.Release.TrySetResult();
        _timeout.Dispose();
        // The listener's story, for a failed test's output.
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            foreach (CapturingLoggerFactory.LogEntry entry in _logs.Entries)
                TestContext.Out.WriteLine($"{entry.EventId.Id} {entry.Message} {entry.Exception}");
        }
    }

    [Test]
    public async Task Frame_WrittenByteByByte_IsAnsweredWhole()
    {
        await using ListenerHarness harness = await StartAsync();
        await using TestClient client = await harness.ConnectAsync(Token);
        byte[] body = "hello, broker"u8.ToArray();

        await client.SendByteByByteAsync(TestClient.Request(TestRequestHandler.Echo, 42, body), Token);

        byte[] response = await client.ReadResponseAsync(Token);
        Assert.That(TestClient.CorrelationId(response), Is.EqualTo(42));
        Assert.That(response.AsSpan(4).ToArray(), Is.EqualTo(body));
        Assert.That(_handler.Requests, Is.EqualTo(1));
    }

    [Test]
    public async Task PipelinedRequests_AreAnsweredInOrder_OneAtATime()
    {
        const int Count = 100;
        await using ListenerHarness harness = await StartAsync();
        await using TestClient client = await harness.ConnectAsync(Token);
        var all = new List<byte>();
        for (int i = 0; i < Count; i++)
            all.AddRange(TestClient.Request(TestRequestHandler.Echo, i, BitConverter.GetBytes(i * 7)));

        await client.SendAsync(all.ToArray(), Token);

        for (int i = 0; i < Count; i++)
        {
            byte[] response = await client.ReadResponseAsync(Token);
            Assert.That(TestClient.CorrelationId(response), Is.EqualTo(i), "responses out of request order");
            Assert.That(BitConverter.ToInt32(response, 4), Is.EqualTo(i * 7));
        }
        Assert.That(_handler.MaxInFlight, Is.EqualTo(1), "a connection had two requests in flight");
    }

    [Test]
    public async Task FrameLargerThanThePipeHolds_IsGatheredAndAnswered()
    {
        const int Seed = 1414;
        await using ListenerHarness harness = await StartAsync();
        await using TestClient client = await harness.ConnectAsync(Token);
        byte[] body = new byte[3 << 20];   // past the pipe's 1 MiB pause threshold and the 256 KiB in-pipe limit
        new Random(Seed).NextBytes(body);

        // Not awaited: in memory a write waits until the server consumed it, and the server answers first.
        ValueTask<System.IO.Pipelines.FlushResult> sending = client.SendPendingAsync(TestClient.Request(TestRequestHandler.Echo, 7, body), Token);

        byte[] response = await client.ReadResponseAsync(Token);
        await sending;
        Assert.That(TestClient.CorrelationId(response), Is.EqualTo(7));
        Assert.That(response.AsSpan(4).SequenceEqual(body), Is.True, $"body differs (seed {Seed})");
    }

    [Test]
    public async Task SizeOverTheLimit_ClosesBeforeTheBodyArrives()
    {
        await using ListenerHarness harness = await StartAsync(socketRequestMaxBytes: 1024);
        await using TestClient client = await harness.ConnectAsync(Token);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, 1 << 30);   // 1 GiB announced, never sent

        await client.SendAsync(prefix, Token);

        Assert.That(await client.IsClosedByServerAsync(Token), Is.True);
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        Assert.That(_handler.Requests, Is.Zero);
        Assert.That(_logs.WithId(5006).Single().Message, Does.Contain("socket.request.max.bytes"));
    }

    [TestCase(-1)]
    [TestCase(int.MinValue)]
    [TestCase(7)]
    public async Task NegativeOrTooSmallSize_ClosesTheConnection(int size)
    {
        await using ListenerHarness harness = await StartAsync();
        await using TestClient client = await harness.ConnectAsync(Token);
        var frame = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);

        await client.SendAsync(frame, Token);

        Assert.That(await client.IsClosedByServerAsync(Token), Is.True);
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        Assert.That(_handler.Requests, Is.Zero);
        Assert.That(_logs.WithId(5006), Has.Count.EqualTo(1));
    }

    [TestCase(TestRequestHandler.Throw, 5008)]
    [TestCase(TestRequestHandler.Invalid, 5007)]
    public async Task FailingRequest_ClosesOnlyItsConnection(short apiKey, int eventId)
    {
        await using ListenerHarness harness = await StartAsync();
        await using TestClient bystander = await harness.ConnectAsync(Token);
        await using TestClient failing = await harness.ConnectAsync(Token);

        await failing.SendAsync(TestClient.Request(apiKey, 1), Token);

        Assert.That(await failing.IsClosedByServerAsync(Token), Is.True);
        await bystander.SendAsync(TestClient.Request(TestRequestHandler.Echo, 2), Token);
        Assert.That(TestClient.CorrelationId(await bystander.ReadResponseAsync(Token)), Is.EqualTo(2));
        await using TestClient newcomer = await harness.ConnectAsync(Token);
        await newcomer.SendAsync(TestClient.Request(TestRequestHandler.Echo, 3), Token);
        Assert.That(TestClient.CorrelationId(await newcomer.ReadResponseAsync(Token)), Is.EqualTo(3));
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        CapturingLoggerFactory.LogEntry logged = _logs.WithId(eventId).Single();
        Assert.That(logged.Exception, Is.Not.Null);
        Assert.That(logged.Message, Does.Contain(harness.Kind == TransportKind.InMemory ? "closed" : "127.0.0.1").Or.Contain("::1"));
    }

    [Test]
    public async Task NoResponse_NextRequestIsStillAnswered()
    {
        await using ListenerHarness harness = await StartAsync();
        await using TestClient client = await harness.ConnectAsync(Token);

        byte[] both = [.. TestClient.Request(TestRequestHandler.NoResponse, 1), .. TestClient.Request(TestRequestHandler.Echo, 2)];
        await client.SendAsync(both, Token);

        Assert.That(TestClient.CorrelationId(await client.ReadResponseAsync(Token)), Is.EqualTo(2));
    }

    [Test]
    public async Task IdleConnection_IsClosedAfterConnectionsMaxIdle_ActivityPostponesIt()
    {
        var time = new FakeTimeProvider();
        TimeSpan idle = TimeSpan.FromMinutes(10);
        await using ListenerHarness harness = await StartAsync(time: time, idle: idle);
        await using TestClient client = await harness.ConnectAsync(Token);
        await client.SendAsync(TestClient.Request(TestRequestHandler.Echo, 1), Token);
        await client.ReadResponseAsync(Token);

        time.Advance(idle - TimeSpan.FromMilliseconds(1));
        await client.SendAsync(TestClient.Request(TestRequestHandler.Echo, 2), Token);
        Assert.That(TestClient.CorrelationId(await client.ReadResponseAsync(Token)), Is.EqualTo(2), "closed before it was idle long enough");
        time.Advance(idle - TimeSpan.FromMilliseconds(1));
        await client.SendAsync(TestClient.Request(TestRequestHandler.Echo, 3), Token);
        Assert.That(TestClient.CorrelationId(await client.ReadResponseAsync(Token)), Is.EqualTo(3), "the idle clock was not restarted by a request");

        time.Advance(idle);

        Assert.That(await client.IsClosedByServerAsync(Token), Is.True);
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        Assert.That(_logs.WithId(5009), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ConnectionPastMaxConnections_IsClosedAtOnce_OthersServe()
    {
        await using ListenerHarness harness = await StartAsync(maxConnections: 2);
        await using TestClient first = await harness.ConnectAsync(Token);
        await using TestClient second = await harness.ConnectAsync(Token);
        // Answered: both are being served, so the listener counts them.
        foreach (TestClient client in new[] { first, second })
        {
            await client.SendAsync(TestClient.Request(TestRequestHandler.Echo, 1), Token);
            await client.ReadResponseAsync(Token);
        }
        Assert.That(harness.Listener.ConnectionCount, Is.EqualTo(2));

        TestClient? third = null;
        try
        {
            third = await harness.ConnectAsync(Token);
            await third.SendAsync(TestClient.Request(TestRequestHandler.Echo, 3), Token);
            Assert.That(await third.IsClosedByServerAsync(Token), Is.True);
        }
        catch (Exception e) when (harness.Kind == TransportKind.TlsOverTcp4 && e is IOException or System.Security.Authentication.AuthenticationException)
        {
            // Over TLS the refusal can come during the client's handshake.
        }
        finally
        {
            if (third is not null)
                await third.DisposeAsync();
        }

        await first.SendAsync(TestClient.Request(TestRequestHandler.Echo, 4), Token);
        Assert.That(TestClient.CorrelationId(await first.ReadResponseAsync(Token)), Is.EqualTo(4));
        await harness.StopAsync(TimeSpan.FromSeconds(10));
        Assert.That(_logs.WithId(5005), Has.Count.EqualTo(1));
        Assert.That(_handler.Requests, Is.EqualTo(3), "the refused connection's request reached the handler");
    }

    [Test]
    public async Task Stop_LetsTheRequestInFlightAnswer_ThenCloses()
    {
        var time = new FakeTimeProvider();
        await using ListenerHarness harness = await StartAsync(time: time);
        await using TestClient busy = await harness.ConnectAsync(Token);
        await using TestClient idle = await harness.ConnectAsync(Token);
        await idle.SendAsync(TestClient.Request(TestRequestHandler.Echo, 1), Token);
        await idle.ReadResponseAsync(Token);
        await busy.SendAsync(TestClient.Request(TestRequestHandler.Block, 2), Token);
        await _handler.BlockEntered.Task.WaitAsync(Token);

        Task stopping = harness.StopAsync(TimeSpan.FromSeconds(30)).AsTask();
        Assert.That(await idle.IsClosedByServerAsync(Token), Is.True, "an idle connection stays open while stopping");
        Assert.That(stopping.IsCompleted, Is.False, "stopped before the request in flight answered");
        _handler.Release.SetResult();

        Assert.That(TestClient.CorrelationId(await busy.ReadResponseAsync(Token)), Is.EqualTo(2));
        Assert.That(await busy.IsClosedByServerAsync(Token), Is.True);
        await stopping.WaitAsync(Token);
        Assert.That(_handler.Canceled, Is.Zero);
        Assert.That(_logs.WithId(5002).Single().Message, Does.Contain("2 connection(s) drained, 0 aborted"));
    }

    [Test]
    public async Task Stop_AbortsARequestStillInFlightAtTheDeadline()
    {
        var time = new FakeTimeProvider();
        await using ListenerHarness harness = await StartAsync(time: time);
        await using TestClient busy = await harness.ConnectAsync(Token);
        await busy.SendAsync(TestClient.Request(TestRequestHandler.Block, 1), Token);
        await _handler.BlockEntered.Task.WaitAsync(Token);

        Task stopping = harness.StopAsync(TimeSpan.FromSeconds(5)).AsTask();
        time.Advance(TimeSpan.FromSeconds(5));

        await stopping.WaitAsync(Token);
        Assert.That(_handler.Canceled, Is.EqualTo(1), "the request in flight was not canceled");
        Assert.That(await busy.IsClosedByServerAsync(Token), Is.True);
        Assert.That(_logs.WithId(5002).Single().Message, Does.Contain("0 connection(s) drained, 1 aborted"));
    }

    private Task<ListenerHarness> StartAsync(FakeTimeProvider? time = null, int socketRequestMaxBytes = 100 << 20,
        int maxConnections = int.MaxValue, TimeSpan? idle = null) =>
        ListenerHarness.StartAsync(kind, _handler, _logs, time, socketRequestMaxBytes, maxConnections, idle, Token);
}
