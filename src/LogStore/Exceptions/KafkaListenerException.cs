using System.Net;

namespace LogStore;

/// <summary>The Kafka listener (<see cref="BrokerOptions.KafkaListener"/>) could not start: its address cannot be bound.</summary>
public sealed class KafkaListenerException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public KafkaListenerException(IPEndPoint endpoint, Exception? innerException = null)
        : base($"Cannot listen for Kafka clients on {endpoint}: {innerException?.Message ?? "the address cannot be bound"}. " +
            "Choose another address or port (port 0 lets the OS pick one), or stop what holds it.", innerException)
        => Endpoint = endpoint;

    /// <summary>The address that could not be bound.</summary>
    public IPEndPoint Endpoint { get; }
}
