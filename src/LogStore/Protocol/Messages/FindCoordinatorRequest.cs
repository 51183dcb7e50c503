namespace LogStore.Protocol;

/// <summary>FindCoordinator request (key 10, v0–v3, flexible from v3): which node coordinates a group (or transaction).</summary>
internal sealed class FindCoordinatorRequest : IKafkaMessage<FindCoordinatorRequest>, IKafkaRequest
{
    /// <summary>The <see cref="KeyType"/> of a consumer group.</summary>
    public const sbyte GroupKeyType = 0;

    /// <summary>The <see cref="KeyType"/> of a transactional id.</summary>
    public const sbyte TransactionKeyType = 1;

    public static ApiKey ApiKey => ApiKey.FindCoordinator;

    /// <summary>The group id (or transactional id).</summary>
    public string Key { get; set; } = "";

    /// <summary>v1+: <see cref="GroupKeyType"/> or <see cref="TransactionKeyType"/>.</summary>
    public sbyte KeyType { get; set; }

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new FindCoordinatorResponse { ErrorCode = errorCode, NodeId = -1, Port = -1 };

    public static FindCoordinatorRequest Read(ref KafkaReader reader, short version)
    {
        bool flex = version >= 3;
        var request = new FindCoordinatorRequest { Key = reader.ReadString(flex) };
        if (version >= 1)
            request.KeyType = reader.ReadInt8();
        if (flex)
            reader.SkipTaggedFields();
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        bool flex = version >= 3;
        writer.WriteString(Key, flex);
        if (version >= 1)
            writer.WriteInt8(KeyType);
        if (flex)
            writer.WriteEmptyTaggedFields();
    }
}
