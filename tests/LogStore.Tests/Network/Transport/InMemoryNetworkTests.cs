using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Network.Transport;

/// <summary>
/// <see cref="InMemoryNetwork"/>'s hosts and cuts on live connections: isolation of a whole host, partitions between
/// sets of hosts, severs (resets), loopback, bad input. Delays and pauses: InMemoryNetworkTests.Holding.cs. Three hosts
/// n0..n2, each with a Kafka endpoint and a controller endpoint, every one bound.
/// </summary>
public sealed partial class InMemoryNetworkTests
{
    private const int BasePort = 39500;
    private static readonly string[] Hosts = ["n0", "n1", "n2"];
    private CancellationTokenSource _timeout = null!;
    private FakeTimeProvider _time = null!;
    private InMemoryNetwork _network = null!;
    private List<IConnectionListener> _listeners = null!;
    private List<ConnectionContext> _connections = null!;

    private CancellationToken Token => _timeout.Token;

    [SetUp]
    public async Task SetUpAsync()
    {
        _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _time = new FakeTimeProvider();
        _network = new InMemoryNetwork { TimeProvider = _time, Seed = 17 };
        _listeners = [];
        _connections = [];
        for (int i = 0; i < Hosts.Length; i++)
        {
            _network.DefineHost(Hosts[i], Kafka(i), Controller(i));
            _listeners.Add(await _network.BindAsync(Kafka(i), Token));
            _listeners.Add(await _network.BindAsync(Controller(i), Token));
        }
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        _network.HealAll();
        foreach (ConnectionContext connection in _connections)
            await connection.DisposeAsync();
        foreach (IConnectionListener listener in _listeners)
            await listener.DisposeAsync();
        _timeout.Dispose();
    }

    [Test]
    public async Task Isolate_OneEndpointOfAHost_CutsEveryConnectionOfTheHost()
    {
        var (toKafka, toKafkaServer) = await ConnectAsync(Kafka(1), Kafka(0));
        var (toController, toControllerServer) = await ConnectAsync(Kafka(1), Controller(0));
        var (fromController, fromControllerServer) = await ConnectAsync(Controller(0), Controller(2));
        var (untouched, untouchedServer) = await ConnectAsync(Kafka(1), Kafka(2));

        _network.Isolate(Kafka(0));

        foreach (var (client, server) in new[] { (toKafka, toKafkaServer), (toController, toControllerServer), (fromController, fromControllerServer) })
        {
            Assert.That(await ReadAsync(client, 1), Is.Empty, $"{Describe(client)}: the client's input ends");
            Assert.That(await ReadAsync(server, 1), Is.Empty, $"{Describe(client)}: the server's input ends");
        }
        await ExchangeAsync(untouched, untouchedServer);
        Assert.ThrowsAsync<SocketException>(async () => await _network.For(Kafka(1)).ConnectAsync(Controller(0), Token), "to the host");
        Assert.ThrowsAsync<SocketException>(async () => await _network.For(Controller(0)).ConnectAsync(Kafka(1), Token), "from the host");
        Assert.ThrowsAsync<SocketException>(async () => await _network.ConnectAsync(Kafka(0), Token), "from outside");

        _network.Heal("n0");

        var (healed, healedServer) = await ConnectAsync(Kafka(1), Controller(0));
        await ExchangeAsync(healed, healedServer);
    }

    [Test]
    public async Task Partition_CutsOnlyConnectionsAcrossTheSets()
    {
        var across = new[] { await ConnectAsync(Kafka(0), Kafka(1)), await ConnectAsync(Kafka(1), Controller(0)), await ConnectAsync(Controller(0), Controller(2)) };
        var within = new[] { await ConnectAsync(Kafka(1), Kafka(2)), await ConnectAsync(Controller(2), Controller(1)) };
        var fromOutside = await ConnectOutsideAsync(Kafka(0));

        _network.Partition(["n0"], ["n1", "n2"]);

        foreach (var (client, server) in across)
        {
            Assert.That(await ReadAsync(client, 1), Is.Empty, $"{Describe(client)}: the client's input ends");
            Assert.That(await ReadAsync(server, 1), Is.Empty, $"{Describe(client)}: the server's input ends");
        }
        foreach (var (client, server) in within.Append(fromOutside))
            await ExchangeAsync(client, server);
        Assert.ThrowsAsync<SocketException>(async () => await _network.For(Kafka(0)).ConnectAsync(Kafka(2), Token));
        Assert.ThrowsAsync<SocketException>(async () => await _network.For(Kafka(2)).ConnectAsync(Controller(0), Token));
        var (stillWithin, stillWithinServer) = await ConnectAsync(Kafka(2), Controller(1));
        await ExchangeAsync(stillWithin, stillWithinServer);

        _network.HealPartitions();

        var (healed, healedServer) = await ConnectAsync(Kafka(0), Kafka(2));
        await ExchangeAsync(healed, healedServer);
    }

    [Test]
    public async Task Sever_ResetsOneOpenLink_BothSidesCloseAndAReconnectWorks([Values(1, 2, 3)] int seed)
    {
        (EndPoint From, EndPoint To)[] paths = [(Kafka(0), Kafka(1)), (Kafka(0), Kafka(2)), (Controller(1), Controller(2))];
        var links = new List<(ConnectionContext Client, ConnectionContext Server)>();
        foreach (var (from, to) in paths)
            links.Add(await ConnectAsync(from, to));

        InMemoryLink? severed = _network.Sever(new Random(seed));

        Assert.That(severed, Is.Not.Null, $"seed {seed}");
        int cut = links.FindIndex(l => ((InMemoryRelayedConnection)l.Client).Link == severed);
        for (int i = 0; i < links.Count; i++)
        {
            var (client, server) = links[i];
            if (i != cut)
            {
                await ExchangeAsync(client, server);
                continue;
            }
            await WaitAsync(client.ConnectionClosed, $"seed {seed}: the client's ConnectionClosed");
            await WaitAsync(server.ConnectionClosed, $"seed {seed}: the server's ConnectionClosed");
            Assert.ThrowsAsync<ConnectionResetException>(async () => await ReadAsync(client, 1), $"seed {seed}: the client's read");
            Assert.ThrowsAsync<ConnectionResetException>(async () => await ReadAsync(server, 1), $"seed {seed}: the server's read");
        }
        Assert.That(() => _network.Links.Select(l => l.Id), Does.Not.Contain(severed!.Id).After(10_000, 10), "the severed link is forgotten");

        var (again, againServer) = await ConnectAsync(paths[cut].From, paths[cut].To);
        await ExchangeAsync(again, againServer);
    }

    [Test]
    public void Sever_WithoutOpenLinks_ReturnsNullAfterOneDraw()
    {
        var random = new Random(42);
        var twin = new Random(42);

        Assert.That(_network.Sever(random), Is.Null);

        twin.NextDouble();
        Assert.That(random.Next(), Is.EqualTo(twin.Next()), "Sever drew exactly once");
    }

    [Test]
    public async Task Faults_NeverTouchALinkWithinOneHost()
    {
        var (loopback, loopbackServer) = await ConnectAsync(Kafka(0), Controller(0));

        _network.Isolate("n0");
        _network.Partition(["n0"], ["n1", "n2"]);
        _network.Delay(TimeSpan.FromHours(1), TimeSpan.FromHours(1));

        Assert.That(_network.Sever(new Random(1)), Is.Null, "no link to sever but loopback");
        await ExchangeAsync(loopback, loopbackServer);
    }

    [Test]
    public async Task BadInput_IsRefused_AndLeavesTheNetworkAsItWas()
    {
        var (client, server) = await ConnectAsync(Kafka(0), Kafka(1));

        Assert.Throws<ArgumentException>(() => _network.DefineHost("n1", Kafka(0)), "an endpoint of another host");
        Assert.Throws<ArgumentException>(() => _network.DefineHost("n9"), "no endpoint");
        Assert.Throws<ArgumentException>(() => _network.DefineHost(" ", Kafka(9)), "no name");
        Assert.Throws<ArgumentException>(() => _network.Isolate("n9"), "an unknown host");
        Assert.Throws<ArgumentException>(() => _network.Pause("n9"), "an unknown host");
        Assert.Throws<ArgumentException>(() => _network.Partition(["n0"], ["n0", "n1"]), "a host on both sides");
        Assert.Throws<ArgumentException>(() => _network.Partition([], ["n1"]), "an empty side");
        Assert.Throws<ArgumentOutOfRangeException>(() => _network.Delay("n1", TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _network.Delay(TimeSpan.FromMilliseconds(-1), TimeSpan.Zero));

        Assert.That(_network.HostOf(Kafka(0)), Is.EqualTo("n0"));
        await ExchangeAsync(client, server);
    }

    [Test]
    public async Task For_AnEndpointOutsideEveryHost_IsAHostOfItsOwn()
    {
        var stranger = new IPEndPoint(IPAddress.Loopback, BasePort + 99);
        _listeners.Add(await _network.BindAsync(stranger, Token));
        var (client, server) = await ConnectAsync(stranger, Kafka(0));

        _network.Isolate(_network.HostOf(stranger));

        Assert.That(_network.HostOf(stranger), Is.EqualTo(stranger.ToString()));
        Assert.That(await ReadAsync(client, 1), Is.Empty);
        Assert.That(await ReadAsync(server, 1), Is.Empty);
    }

    private static IPEndPoint Kafka(int node) => new(IPAddress.Loopback, BasePort + (10 * node));

    private static IPEndPoint Controller(int node) => new(IPAddress.Loopback, BasePort + (10 * node) + 1);

    private static string Describe(ConnectionContext client) => ((InMemoryRelayedConnection)client).Link.ToString();

    /// <summary>Connects from the host of <paramref name="from"/> and accepts at <paramref name="to"/>.</summary>
    private Task<(ConnectionContext Client, ConnectionContext Server)> ConnectAsync(EndPoint from, EndPoint to)
        => AcceptAsync(_network.For(from).ConnectAsync(to, Token), to);

    private Task<(ConnectionContext Client, ConnectionContext Server)> ConnectOutsideAsync(EndPoint to)
        => AcceptAsync(_network.ConnectAsync(to, Token), to);

    private async Task<(ConnectionContext Client, ConnectionContext Server)> AcceptAsync(ValueTask<ConnectionContext> connecting, EndPoint to)
    {
        ConnectionContext client = await connecting;
        _connections.Add(client);
        IConnectionListener listener = _listeners.Single(l => Equals(l.EndPoint, to));
        ConnectionContext server = (await listener.AcceptAsync(Token))!;
        _connections.Add(server);
        return (client, server);
    }

    private async Task ExchangeAsync(ConnectionContext client, ConnectionContext server)
    {
        await client.Transport.Output.WriteAsync("ping"u8.ToArray(), Token);
        Assert.That(await ReadAsync(server, 4), Is.EqualTo("ping"u8.ToArray()), Describe(client));
        await server.Transport.Output.WriteAsync("pong"u8.ToArray(), Token);
        Assert.That(await ReadAsync(client, 4), Is.EqualTo("pong"u8.ToArray()), Describe(client));
    }

    /// <summary>Reads <paramref name="count"/> bytes, or fewer if the input ends first.</summary>
    private async Task<byte[]> ReadAsync(ConnectionContext connection, int count)
    {
        PipeReader input = connection.Transport.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(Token);
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                byte[] bytes = result.Buffer.Slice(0, Math.Min(count, result.Buffer.Length)).ToArray();
                input.AdvanceTo(result.Buffer.GetPosition(bytes.Length));
                return bytes;
            }
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Whether bytes (or the end) are ready without waiting.</summary>
    private static bool HasInput(ConnectionContext connection)
    {
        if (!connection.Transport.Input.TryRead(out ReadResult result))
            return false;
        connection.Transport.Input.AdvanceTo(result.Buffer.Start);
        return true;
    }

    private async Task WaitAsync(CancellationToken fired, string what)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, fired).WaitAsync(Token);
        }
        catch (OperationCanceledException) when (fired.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{what} never fired");
        }
    }
}
