namespace LogStore.Protocol;

/// <summary>
/// A request or response body of one Kafka API, readable and writable in every version its API supports: the shape
/// the decoder, the handlers and the codec tests share.
/// </summary>
internal interface IKafkaMessage<TSelf> where TSelf : IKafkaMessage<TSelf>
{
    /// <summary>The API this message belongs to.</summary>
    static abstract ApiKey ApiKey { get; }

    /// <summary>Reads the body of version <paramref name="version"/>; throws <see cref="KafkaProtocolException"/> on malformed input.</summary>
    static abstract TSelf Read(ref KafkaReader reader, short version);

    /// <summary>Writes the body in version <paramref name="version"/>.</summary>
    void Write(ref KafkaWriter writer, short version);
}
