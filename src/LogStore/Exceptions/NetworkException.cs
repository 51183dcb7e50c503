namespace LogStore;

/// <summary>A connection to another node failed, timed out or was closed before it answered (Kafka's
/// NETWORK_EXCEPTION): the request may or may not have been processed there; retry it on a new connection.</summary>
public sealed class NetworkException : LogStoreException
{
    /// <summary>Creates the exception with a message.</summary>
    public NetworkException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public NetworkException(string message, Exception? innerException) : base(message, innerException) { }
}
