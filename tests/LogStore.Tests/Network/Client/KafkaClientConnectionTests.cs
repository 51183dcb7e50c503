using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using LogStore.Network.Client;
using LogStore.Network.Transport;
using LogStore.Protocol;

namespace LogStore.Tests.Network.Client;

/// <summary>The outbound connection's framing against a raw TCP peer: what a follower's fetcher reads.</summary>
public sealed class KafkaClientConnectionTests
{
    [Test]
    public async Task AResponseLargerThanTheTransportsReadBuffer_IsReadWhole()
    {
        // A follower's fetch response holds up to 10 MiB (one 1 MiB batch per partition); the transport pauses its
        // socket at 64 KiB unread here, so the reader must take the frame in as it arrives, not wait for all of it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var records = new byte[3 << 20];
        new Random(20261206).NextBytes(records);
        Task serving = AnswerOneFetchAsync(server, records, expectRead: true, timeout.Token);
        var transport = new SocketConnectionFactory(new SocketConnectionListenerFactory { MaxReadBufferSize = 64 << 10 });

        await using KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(transport, server.LocalEndpoint, "test",
            4 << 20, TimeProvider.System, timeout.Token);
        FetchResponse response = await connection.SendAsync<FetchRequest, FetchResponse>(new FetchRequest { ReplicaId = 1, MaxBytes = 10 << 20 }, 12,
            TimeSpan.FromSeconds(30), timeout.Token);
        await serving;

        ReadOnlySequence<byte> received = response.Topics.Single().Partitions.Single().Records!.Value;
        Assert.That(received.ToArray().AsSpan().SequenceEqual(records), Is.True, "the records arrive whole and in order");
        Assert.That(connection.IsUsable, Is.True);
    }

    [Test]
    public async Task AResponseAboveTheLimit_BreaksTheConnectionBeforeAnyAllocation()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        Task serving = AnswerOneFetchAsync(server, new byte[2 << 20], expectRead: false, timeout.Token);

        await using KafkaClientConnection connection = await KafkaClientConnection.ConnectAsync(new SocketConnectionFactory(), server.LocalEndpoint,
            "test", 1 << 20, TimeProvider.System, timeout.Token);
        var error = Assert.ThrowsAsync<NetworkException>(async () => await connection.SendAsync<FetchRequest, FetchResponse>(
            new FetchRequest { ReplicaId = 1 }, 12, TimeSpan.FromSeconds(30), timeout.Token));
        Assert.That(error!.Message, Does.Contain("outside"));
        Assert.That(connection.IsUsable, Is.False);
        await serving;
    }

    /// <summary>Reads one request frame and answers it with a Fetch v12 response carrying <paramref name="records"/>.</summary>
    private static async Task AnswerOneFetchAsync(TcpListener server, byte[] records, bool expectRead, CancellationToken cancellationToken)
    {
        using Socket peer = await server.AcceptSocketAsync(cancellationToken);
        await using var stream = new NetworkStream(peer);
        var size = new byte[4];
        await stream.ReadExactlyAsync(size, cancellationToken);
        var request = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await stream.ReadExactlyAsync(request, cancellationToken);
        int correlationId = BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(4));
        var body = new FetchResponse();
        var topic = new FetchResponse.TopicResponse { Name = "t" };
        topic.Partitions.Add(new FetchResponse.PartitionData { PartitionIndex = 0, HighWatermark = 0, Records = new ReadOnlySequence<byte>(records) });
        body.Topics.Add(topic);
        using ResponseFrame frame = ResponseEncoder.Encode(correlationId, flexibleHeader: true, body, 12);
        BinaryPrimitives.WriteInt32BigEndian(size, (int)frame.Length);
        try
        {
            await stream.WriteAsync(size, cancellationToken);
            foreach (ResponseFramePart part in frame.Parts)
                await stream.WriteAsync(part.Bytes, cancellationToken);
        }
        catch (IOException) when (!expectRead)
        {
            // The client refused the frame by its size and closed.
        }
    }
}
