using System.Buffers;
using System.Buffers.Binary;
using LogStore.Protocol;

namespace LogStore.Tests.Network;

/// <summary>Sends typed Kafka requests over a <see cref="TestClient"/> and decodes the typed responses, with the
/// headers a real client would write: the protocol as the wire carries it, without a client library's choices.</summary>
internal sealed class KafkaWireClient(TestClient client) : IAsyncDisposable
{
    private int _correlationId;

    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse>
    {
        var header = new RequestHeader { ApiKey = TRequest.ApiKey, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = "wire-test" };
        await client.SendAsync(Frame(header, request), cancellationToken);
        byte[] response = await client.ReadResponseAsync(cancellationToken);
        TResponse body = ResponseDecoder.Read<TResponse>(new ReadOnlySequence<byte>(response), version, header.ResponseHeaderIsFlexible, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(header.CorrelationId));
        return body;
    }

    /// <summary>The whole frame of <paramref name="request"/>: size prefix, <paramref name="header"/>, body at the header's version.</summary>
    public static byte[] Frame<TRequest>(RequestHeader header, TRequest request)
        where TRequest : IKafkaMessage<TRequest>
    {
        var output = new ArrayBufferWriter<byte>();
        output.GetSpan(4);
        output.Advance(4);
        var writer = new KafkaWriter(output);
        header.Write(ref writer);
        request.Write(ref writer, header.ApiVersion);
        byte[] frame = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
