using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Tests.Network.Transport;

/// <summary><see cref="LogStore.Network.Transport.InMemoryNetwork"/>'s delays (on the fixture's FakeTimeProvider) and
/// pauses, which hold bytes without losing them.</summary>
public sealed partial class InMemoryNetworkTests
{
    private static readonly TimeSpan Millisecond = TimeSpan.FromMilliseconds(1);

    [Test]
    public async Task Delay_HoldsAChunkForItsTime_OnTheTimeProvider()
    {
        var (client, server) = await ConnectAsync(Kafka(0), Kafka(1));
        _network.Delay("n1", 10 * Millisecond, 10 * Millisecond);

        await client.Transport.Output.WriteAsync("a"u8.ToArray(), Token);
        await WaitForHeldAsync(1);
        _time.Advance(9 * Millisecond);

        Assert.That(HasInput(server), Is.False, "delivered before its delay");
        Assert.That(_network.HeldChunks, Is.EqualTo(1));
        _time.Advance(Millisecond);
        Assert.That(await ReadAsync(server, 1), Is.EqualTo("a"u8.ToArray()));
        var (elsewhere, elsewhereServer) = await ConnectAsync(Kafka(0), Kafka(2));
        await ExchangeAsync(elsewhere, elsewhereServer);
    }

    [Test]
    public async Task Delay_ManyChunksBothWays_ArriveInOrderAndComplete()
    {
        const int Chunks = 300;
        var (client, server) = await ConnectAsync(Kafka(0), Kafka(1));
        _network.Delay(Millisecond, 20 * Millisecond);

        Task<byte[]> reads = ReadToEndAsync(server);
        Task<byte[]> readsBack = ReadToEndAsync(client);
        Task<byte[]> writes = WriteChunksAsync(client, Chunks);
        Task<byte[]> writesBack = WriteChunksAsync(server, Chunks);
        int advances = 0;
        while (!reads.IsCompleted || !readsBack.IsCompleted)
        {
            Assert.That(advances, Is.LessThan(100_000), "the delayed bytes never all arrived (network seed 17)");
            if (_network.HeldChunks > 0)
            {
                _time.Advance(5 * Millisecond);
                advances++;
                await Task.Yield();
            }
            else
            {
                await Task.WhenAny(reads, readsBack, Task.Delay(1, Token));
            }
        }

        Assert.That(await reads, Is.EqualTo(await writes), "client to server, network seed 17");
        Assert.That(await readsBack, Is.EqualTo(await writesBack), "server to client, network seed 17");
        Assert.That(advances, Is.GreaterThan(0), "nothing was delayed");
    }

    [Test]
    public async Task Pause_HoldsBothDirections_AndDeliversEverythingAfterResume()
    {
        var (client, server) = await ConnectAsync(Kafka(0), Kafka(1));

        _network.Pause("n1");
        await client.Transport.Output.WriteAsync("req1"u8.ToArray(), Token);
        await server.Transport.Output.WriteAsync("resp1"u8.ToArray(), Token);
        await WaitForHeldAsync(2);
        await client.Transport.Output.WriteAsync("req2"u8.ToArray(), Token);

        Assert.That(HasInput(server), Is.False, "the server received while paused");
        Assert.That(HasInput(client), Is.False, "the client received while paused");
        var (elsewhere, elsewhereServer) = await ConnectAsync(Kafka(0), Kafka(2));
        await ExchangeAsync(elsewhere, elsewhereServer);
        _network.Resume("n1");
        Assert.That(await ReadAsync(server, 8), Is.EqualTo("req1req2"u8.ToArray()));
        Assert.That(await ReadAsync(client, 5), Is.EqualTo("resp1"u8.ToArray()));
        await WaitForHeldAsync(0);
    }

    [Test]
    public async Task Pause_ANewConnection_IsAcceptedButNotServedUntilResume()
    {
        _network.Pause("n1");

        var (client, server) = await ConnectAsync(Kafka(0), Controller(1));
        await client.Transport.Output.WriteAsync("x"u8.ToArray(), Token);
        await WaitForHeldAsync(1);

        Assert.That(HasInput(server), Is.False, "served while paused");
        _network.Resume("n1");
        Assert.That(await ReadAsync(server, 1), Is.EqualTo("x"u8.ToArray()));
    }

    [Test]
    public async Task Dispose_WhilePaused_DeliversTheTailThenTheEnd()
    {
        var (client, server) = await ConnectAsync(Kafka(0), Kafka(1));
        _network.Pause("n0");
        await client.Transport.Output.WriteAsync("tail"u8.ToArray(), Token);
        await WaitForHeldAsync(1);

        await client.DisposeAsync().AsTask().WaitAsync(Token);
        _network.Resume("n0");

        Assert.That(await ReadAsync(server, 5), Is.EqualTo("tail"u8.ToArray()), "the tail, then the end");
    }

    [Test]
    public async Task Isolate_WhilePaused_CutsTheHeldConnection()
    {
        var (client, server) = await ConnectAsync(Kafka(0), Kafka(1));
        _network.Pause("n1");
        await client.Transport.Output.WriteAsync("lost"u8.ToArray(), Token);
        await WaitForHeldAsync(1);

        _network.Isolate("n1");

        Assert.That(await ReadAsync(server, 4), Is.Empty, "the server's input ends");
        Assert.That(await ReadAsync(client, 4), Is.Empty, "the client's input ends");
        await WaitForHeldAsync(0);
    }

    private async Task WaitForHeldAsync(int chunks)
    {
        try
        {
            while (_network.HeldChunks != chunks)
                await Task.Delay(1, Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{_network.HeldChunks} chunks held, never {chunks}");
        }
    }

    /// <summary>Writes <paramref name="chunks"/> chunks of 1 to 7 bytes counting up, one flush each, then closes;
    /// returns what it wrote.</summary>
    private async Task<byte[]> WriteChunksAsync(ConnectionContext connection, int chunks)
    {
        var written = new List<byte>();
        for (int i = 0; i < chunks; i++)
        {
            byte[] chunk = [.. Enumerable.Range(written.Count, (i % 7) + 1).Select(b => (byte)b)];
            written.AddRange(chunk);
            await connection.Transport.Output.WriteAsync(chunk, Token);
        }
        await connection.Transport.Output.CompleteAsync();
        return [.. written];
    }

    private async Task<byte[]> ReadToEndAsync(ConnectionContext connection)
    {
        PipeReader input = connection.Transport.Input;
        var read = new List<byte>();
        while (true)
        {
            ReadResult result = await input.ReadAsync(Token);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                read.AddRange(segment.ToArray());
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
                return [.. read];
        }
    }
}
