namespace LogStore.Protocol;

/// <summary>
/// InitProducerId request (key 22, v0–v4, flexible from v2): an idempotent (or transactional) producer asks for its
/// producer id and epoch; v3+ sends the ones it had, to bump the epoch instead of getting a new id (KIP-360).
/// </summary>
internal sealed class InitProducerIdRequest : IKafkaMessage<InitProducerIdRequest>, IKafkaRequest
{
    public static ApiKey ApiKey => ApiKey.InitProducerId;

    /// <summary>Null for an idempotent producer without transactions.</summary>
    public string? TransactionalId { get; set; }

    public int TransactionTimeoutMs { get; set; }

    /// <summary>v3+: the producer's current id, -1 for none.</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>v3+: the producer's current epoch, -1 for none.</summary>
    public short ProducerEpoch { get; set; } = -1;

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new InitProducerIdResponse { ErrorCode = errorCode, ProducerId = -1 };

    public static InitProducerIdRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 2;
        var request = new InitProducerIdRequest
        {
            TransactionalId = reader.ReadNullableString(flex),
            TransactionTimeoutMs = reader.ReadInt32(),
        };
        if (version >= 3)
        {
            request.ProducerId = reader.ReadInt64();
            request.ProducerEpoch = reader.ReadInt16();
        }
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 2;
        writer.WriteNullableString(TransactionalId, flex);
        writer.WriteInt32(TransactionTimeoutMs);
        if (version >= 3)
        {
            writer.WriteInt64(ProducerId);
            writer.WriteInt16(ProducerEpoch);
        }
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
