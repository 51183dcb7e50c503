using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Network.Transport;

/// <summary><see cref="FaultInjector"/>: the same seed replays the same history, its faults reach the network, and on
/// live connections a run of faults loses or reorders nothing on a connection it did not cut.</summary>
public sealed class FaultInjectorTests
{
    private const int BasePort = 39600;
    private static readonly string[] Hosts = ["n0", "n1", "n2"];
    private static readonly FaultMenu Nothing = new() { Quiet = 0, Isolate = 0, Partition = 0, Sever = 0, Delay = 0, Pause = 0, Heal = 0 };

    [Test]
    public void Step_TheSameSeed_AppliesTheSameSequence()
    {
        var first = new FaultInjector(Network(), Hosts, seed: 2026);
        var second = new FaultInjector(Network(), Hosts, seed: 2026);
        var other = new FaultInjector(Network(), Hosts, seed: 2027);

        for (int i = 0; i < 500; i++)
        {
            first.Step();
            second.Step();
            other.Step();
        }

        Assert.That(second.History, Is.EqualTo(first.History), first.Describe());
        Assert.That(other.History, Is.Not.EqualTo(first.History), "another seed, another history");
        foreach (string fault in (string[])["quiet", "isolate n", "partition {", "sever", "delay ", "pause n", "heal "])
            Assert.That(first.History, Has.Some.Contains(fault), first.Describe());
    }

    [Test]
    public void Step_NeverHoldsMoreFaultsThanTheMenuAllows([Values(0, 1, 3)] int most)
    {
        var injector = new FaultInjector(Network(), Hosts, seed: 7, new FaultMenu { MaxActiveFaults = most });

        for (int i = 0; i < 300; i++)
        {
            injector.Step();
            Assert.That(injector.ActiveFaults, Has.Count.LessThanOrEqualTo(most), injector.Describe());
        }
    }

    [Test]
    public async Task Step_AppliesItsFaultToTheNetwork()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        InMemoryNetwork network = Network();
        await using var listeners = new Listeners(network, timeout.Token);
        await listeners.BindAsync();
        var isolator = new FaultInjector(network, Hosts, seed: 3, Nothing with { Isolate = 1 });

        string line = isolator.Step();

        string isolated = line[(line.LastIndexOf(' ') + 1)..];
        Assert.That(line, Does.StartWith("step 1: isolate n"));
        Assert.ThrowsAsync<SocketException>(async () => await network.ConnectAsync(Endpoint(isolated), timeout.Token), line);
        isolator.HealAll();
        foreach (string host in Hosts)
            await (await network.ConnectAsync(Endpoint(host), timeout.Token)).DisposeAsync();
        Assert.That(isolator.History, Is.EqualTo(new[] { line, "step 2: heal all" }));

        var pauser = new FaultInjector(network, Hosts, seed: 3, Nothing with { Pause = 1 });
        line = pauser.Step();
        Assert.That(pauser.PausedHosts, Is.EqualTo(new[] { line[(line.LastIndexOf(' ') + 1)..] }), line);
        Assert.That(pauser.ActiveFaults, Is.EqualTo(new[] { line["step 1: ".Length..] }));
    }

    [Test]
    public async Task Steps_OnLiveConnections_LoseOrReorderNothingOnAConnectionTheyDidNotCut([Values(1, 2, 3)] int seed)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var time = new FakeTimeProvider();
        InMemoryNetwork network = Network(time, seed);
        await using var listeners = new Listeners(network, timeout.Token);
        await listeners.BindAsync();
        (string From, string To)[] paths = [.. Hosts.SelectMany(from => Hosts.Where(to => to != from).Select(to => (from, to)))];
        var open = new Link?[paths.Length];
        for (int i = 0; i < paths.Length; i++)
            open[i] = await listeners.ConnectAsync(paths[i].From, paths[i].To);
        var links = new List<Link>(open!);
        var injector = new FaultInjector(network, Hosts, seed);

        for (int step = 0; step < 200; step++)
        {
            injector.Step();
            await ReconnectAndSendAsync((byte)step);
        }
        injector.HealAll();
        await ReconnectAndSendAsync(200);
        await DrainAsync(network, time, Task.CompletedTask, timeout.Token);
        bool[] cut = [.. links.Select(l => l.Client.ConnectionClosed.IsCancellationRequested)];
        Task<(byte[]? ToServer, byte[]? ToClient)>[] received = [.. links.Select(l => l.CloseAndReceiveAsync(timeout.Token))];
        await DrainAsync(network, time, Task.WhenAll(received), timeout.Token);

        for (int i = 0; i < links.Count; i++)
        {
            var (toServer, toClient) = await received[i];
            string what = $"{links[i]}, {(cut[i] ? "cut" : "never cut")}; {injector.Describe()}";
            if (!cut[i])
            {
                Assert.That(toServer, Is.EqualTo(links[i].SentToServer), what);
                Assert.That(toClient, Is.EqualTo(links[i].SentToClient), what);
                continue;
            }
            // A cut ends a direction early (a reset discards what was unread: null), never reorders it.
            if (toServer is not null)
                Assert.That(links[i].SentToServer.Take(toServer.Length), Is.EqualTo(toServer), what);
            if (toClient is not null)
                Assert.That(links[i].SentToClient.Take(toClient.Length), Is.EqualTo(toClient), what);
        }
        Assert.That(cut, Has.Some.False, $"every connection was cut: nothing was checked; {injector.Describe()}");
        Assert.That(cut, Has.Some.True, $"no connection was cut: the faults were not tested; {injector.Describe()}");

        // As a node would: a connection that was cut is made again when the network lets it, then each side sends.
        async Task ReconnectAndSendAsync(byte value)
        {
            for (int i = 0; i < paths.Length; i++)
            {
                if (open[i] is { } current && !current.Client.ConnectionClosed.IsCancellationRequested)
                    continue;
                open[i] = await listeners.TryConnectAsync(paths[i].From, paths[i].To);
                if (open[i] is { } reopened)
                    links.Add(reopened);
            }
            foreach (Link link in open.OfType<Link>())
                await link.SendAsync(value);
        }
    }

    [Test]
    public void Constructor_BadInput_Throws()
    {
        InMemoryNetwork network = Network();

        Assert.Throws<ArgumentException>(() => new FaultInjector(network, [], 1));
        Assert.Throws<ArgumentException>(() => new FaultInjector(network, ["n0", "n0"], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultInjector(network, Hosts, 1, new FaultMenu { Sever = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultInjector(network, Hosts, 1, Nothing));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultInjector(network, Hosts, 1, new FaultMenu { MaxDelay = TimeSpan.Zero }));
    }

    [Test]
    public void ToString_NamesTheSeed()
    {
        var injector = new FaultInjector(Network(), Hosts, seed: 99);
        injector.Step();

        Assert.That(injector.ToString(), Is.EqualTo("fault injector with seed 99 after 1 steps"));
        Assert.That(injector.Describe(), Does.Contain("seed 99").And.Contain("step 1: "));
    }

    private static InMemoryNetwork Network(TimeProvider? time = null, int seed = 0)
    {
        var network = new InMemoryNetwork { TimeProvider = time ?? TimeProvider.System, Seed = seed };
        foreach (string host in Hosts)
            network.DefineHost(host, Endpoint(host));
        return network;
    }

    private static IPEndPoint Endpoint(string host) => new(IPAddress.Loopback, BasePort + int.Parse(host[1..], System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Advances <paramref name="time"/> while chunks are held, until <paramref name="done"/> completes and
    /// nothing is held.</summary>
    private static async Task DrainAsync(InMemoryNetwork network, FakeTimeProvider time, Task done, CancellationToken cancellationToken)
    {
        for (int round = 0; !done.IsCompleted || network.HeldChunks > 0; round++)
        {
            Assert.That(round, Is.LessThan(100_000), $"{network.HeldChunks} chunks still held");
            if (network.HeldChunks > 0)
            {
                time.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Yield();
            }
            else
            {
                await Task.WhenAny(done, Task.Delay(1, cancellationToken));
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>One listener per host, and connections between them.</summary>
    private sealed class Listeners(InMemoryNetwork network, CancellationToken cancellationToken) : IAsyncDisposable
    {
        private readonly Dictionary<string, IConnectionListener> _listeners = [];
        private readonly List<ConnectionContext> _connections = [];

        public async Task BindAsync()
        {
            foreach (string host in Hosts)
                _listeners[host] = await network.BindAsync(Endpoint(host), cancellationToken);
        }

        public async Task<Link> ConnectAsync(string from, string to)
        {
            ConnectionContext client = await network.For(Endpoint(from)).ConnectAsync(Endpoint(to), cancellationToken);
            ConnectionContext server = (await _listeners[to].AcceptAsync(cancellationToken))!;
            _connections.Add(client);
            _connections.Add(server);
            return new Link(((InMemoryRelayedConnection)client).Link, client, server);
        }

        /// <summary>Connects, or returns null when the network refuses.</summary>
        public async Task<Link?> TryConnectAsync(string from, string to)
        {
            try
            {
                return await ConnectAsync(from, to);
            }
            catch (SocketException)
            {
                return null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            network.HealAll();
            foreach (ConnectionContext connection in _connections)
                await connection.DisposeAsync();
            foreach (IConnectionListener listener in _listeners.Values)
                await listener.DisposeAsync();
        }
    }

    /// <summary>A connection and what each side sent on it.</summary>
    private sealed class Link(InMemoryLink link, ConnectionContext client, ConnectionContext server)
    {
        public ConnectionContext Client { get; } = client;

        public List<byte> SentToServer { get; } = [];

        public List<byte> SentToClient { get; } = [];

        /// <summary>Sends <paramref name="value"/> each way, unless that way is already closed.</summary>
        public async Task SendAsync(byte value)
        {
            if (await TrySendAsync(Client, value))
                SentToServer.Add(value);
            if (await TrySendAsync(server, value))
                SentToClient.Add(value);
        }

        /// <summary>Closes both sides' output and reads both inputs to their end; null for a direction that was
        /// reset.</summary>
        public async Task<(byte[]? ToServer, byte[]? ToClient)> CloseAndReceiveAsync(CancellationToken cancellationToken)
        {
            await Client.Transport.Output.CompleteAsync();
            await server.Transport.Output.CompleteAsync();
            return (await ReceiveAsync(server.Transport.Input, cancellationToken), await ReceiveAsync(Client.Transport.Input, cancellationToken));
        }

        public override string ToString() => link.ToString();

        private static async Task<bool> TrySendAsync(ConnectionContext connection, byte value)
        {
            try
            {
                FlushResult flushed = await connection.Transport.Output.WriteAsync(new[] { value });
                return !flushed.IsCompleted;
            }
            catch (IOException)
            {
                return false;   // reset
            }
        }

        private static async Task<byte[]?> ReceiveAsync(PipeReader input, CancellationToken cancellationToken)
        {
            var received = new List<byte>();
            try
            {
                while (true)
                {
                    ReadResult result = await input.ReadAsync(cancellationToken);
                    foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                        received.AddRange(segment.ToArray());
                    input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                        return [.. received];
                }
            }
            catch (IOException)
            {
                return null;
            }
        }
    }
}
