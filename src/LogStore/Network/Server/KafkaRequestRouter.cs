using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Network.Server;

/// <summary>
/// Routes each request to the handler of its API (Kafka's KafkaApis). A placeholder until the API handlers exist: every
/// request is answered by closing the connection as unsupported. Thread-safe.
/// </summary>
internal sealed class KafkaRequestRouter(Broker broker) : IKafkaRequestHandler
{
    internal Broker Broker { get; } = broker;

    public ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken) =>
        ValueTask.FromException<ResponseFrame?>(new KafkaProtocolException(
            $"Request of {request.Length} bytes not supported: this broker answers no Kafka API yet."));
}
