using LogStore.Network.Server;
using Microsoft.AspNetCore.Connections;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>
    /// The Kafka protocol as an ASP.NET Core <see cref="ConnectionHandler"/>, to serve this broker on an endpoint of a
    /// server of your own (Kestrel: <c>listenOptions.Run(handler.OnConnectedAsync)</c>), with its TLS, limits and
    /// hosting, instead of <see cref="BrokerOptions.KafkaListener"/>. Clients are told (Metadata) to connect to the
    /// address they connected to. <paramref name="options"/> gives the request limits, idle timeout and topic
    /// auto-creation (its <see cref="KafkaListenerOptions.Endpoint"/> is not bound); null takes the defaults. Use it
    /// only while the broker is open.
    /// </summary>
    public ConnectionHandler CreateKafkaConnectionHandler(KafkaListenerOptions? options = null)
    {
        ThrowIfDisposed();
        options ??= new KafkaListenerOptions { Endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) };
        options.Validate();
        return new KafkaConnectionHandler(new KafkaRequestRouter(this, options), options, _options.TimeProvider, _logger);
    }
}
