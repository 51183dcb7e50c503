namespace LogStore.Protocol;

/// <summary>
/// A response's header (Kafka's ResponseHeader v0 and v1): the request's correlation id, then in v1 an empty tagged-field
/// section. <see cref="RequestHeader.ResponseHeaderIsFlexible"/> says which one a request's response takes.
/// </summary>
internal static class ResponseHeader
{
    public static void Write(ref KafkaWriter writer, int correlationId, bool flexible)
    {
        writer.WriteInt32(correlationId);
        if (flexible)
            writer.WriteEmptyTaggedFields();
    }

    /// <summary>Reads a header, returning its correlation id (clients and tests).</summary>
    public static int Read(ref KafkaReader reader, bool flexible)
    {
        int correlationId = reader.ReadInt32();
        if (flexible)
            reader.SkipTaggedFields();
        return correlationId;
    }
}
