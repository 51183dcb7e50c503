using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using LogStore.Network;
using LogStore.Network.Server;
using LogStore.Network.Transport;
using LogStore.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogStore.Tests.Cluster;

/// <summary>
/// A Kafka listener on an in-memory network whose answers the test scripts: per request (numbered from 0 over all
/// connections), a typed response, garbage bytes, or a closed connection. Records the connections it saw.
/// </summary>
internal sealed class StubControllerListener : IKafkaRequestHandler, IAsyncDisposable
{
    private readonly KafkaListener _listener;
    private readonly Func<int, RequestHeader, IKafkaRequest, StubAnswer> _script;
    private readonly ConcurrentDictionary<string, bool> _connections = new();
    private int _requests;

    private StubControllerListener(InMemoryNetwork network, IPEndPoint endpoint, Func<int, RequestHeader, IKafkaRequest, StubAnswer> script)
    {
        _script = script;
        _listener = new KafkaListener(new KafkaListenerOptions { Endpoint = endpoint }, this, network, TimeProvider.System, NullLogger.Instance);
    }

    public int Requests => Volatile.Read(ref _requests);

    public int Connections => _connections.Count;

    public static async Task<StubControllerListener> StartAsync(InMemoryNetwork network, IPEndPoint endpoint,
        Func<int, RequestHeader, IKafkaRequest, StubAnswer> script, CancellationToken cancellationToken)
    {
        var stub = new StubControllerListener(network, endpoint, script);
        await stub._listener.StartAsync(cancellationToken);
        return stub;
    }

    public ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken)
    {
        _connections[connection.ConnectionId] = true;
        int index = Interlocked.Increment(ref _requests) - 1;
        DecodedRequest decoded = RequestDecoder.TryDecode(request);
        if (!decoded.Succeeded)
            throw new KafkaProtocolException(decoded.Error ?? "undecodable");
        StubAnswer answer = _script(index, decoded.Header!, decoded.Body!);
        switch (answer.Kind)
        {
            case StubAnswerKind.Garbage:
                var frame = new ResponseFrame();
                frame.Write<byte>([0x7F, 0x7F, 0x7F, 0x7F, 0x01, 0x02, 0x03]);
                return ValueTask.FromResult<ResponseFrame?>(frame);
            case StubAnswerKind.Close:
                throw new KafkaProtocolException("the stub closes this connection");
            default:
                return ValueTask.FromResult<ResponseFrame?>(ResponseEncoder.Encode(decoded.Header!, answer.Response!));
        }
    }

    public ValueTask DisposeAsync() => _listener.StopAsync(TimeSpan.FromSeconds(5));
}

internal enum StubAnswerKind
{
    Respond,
    Garbage,
    Close,
}

internal readonly record struct StubAnswer(StubAnswerKind Kind, IKafkaResponse? Response)
{
    public static StubAnswer With(IKafkaResponse response) => new(StubAnswerKind.Respond, response);

    public static readonly StubAnswer Garbage = new(StubAnswerKind.Garbage, null);

    public static readonly StubAnswer Close = new(StubAnswerKind.Close, null);
}
