namespace LogStore.Protocol;

/// <summary>A peer sent bytes that are not a valid Kafka request: the connection is closed and the reason logged.</summary>
internal sealed class KafkaProtocolException(string message) : Exception(message);
