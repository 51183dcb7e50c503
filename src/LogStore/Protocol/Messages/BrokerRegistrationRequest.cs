namespace LogStore.Protocol;

/// <summary>
/// BrokerRegistration request (key 62, v0–v4, flexible from v0): a node announces itself to the active controller
/// with its listeners (Kafka's BrokerLifecycleManager at start-up). Kafka's controller assigns the broker epoch; a
/// LogStore node chooses its own (one above its last), so it travels in LogStore's tagged field
/// <see cref="NodeEpochTag"/>, which a Kafka controller skips as any unknown tag.
/// </summary>
internal sealed class BrokerRegistrationRequest : IKafkaMessage<BrokerRegistrationRequest>, IKafkaRequest
{
    /// <summary>The tag of <see cref="NodeEpoch"/>: far above Kafka's own tags (0 is the highest this message used).</summary>
    public const int NodeEpochTag = 10_000;

    public static ApiKey ApiKey => ApiKey.BrokerRegistration;

    public int BrokerId { get; set; }

    public string ClusterId { get; set; } = "";

    public Guid IncarnationId { get; set; }

    /// <summary>The node's listeners; the controller records the first one's host and port.</summary>
    public List<Listener> Listeners { get; set; } = [];

    public List<Feature> Features { get; set; } = [];

    public string? Rack { get; set; }

    /// <summary>v1+.</summary>
    public bool IsMigratingZkBroker { get; set; }

    /// <summary>v2+: the node's available log directories.</summary>
    public List<Guid> LogDirs { get; set; } = [];

    /// <summary>v3+: the epoch before a clean shutdown, -1 for none.</summary>
    public long PreviousBrokerEpoch { get; set; } = -1;

    /// <summary>LogStore's tagged field: the epoch this registration claims, -1 when absent.</summary>
    public long NodeEpoch { get; set; } = -1;

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new BrokerRegistrationResponse { ErrorCode = errorCode };

    public static BrokerRegistrationRequest Read(ref KafkaReader reader, short version)
    {
        var request = new BrokerRegistrationRequest
        {
            BrokerId = reader.ReadInt32(),
            ClusterId = reader.ReadString(true),
            IncarnationId = reader.ReadUuid(),
        };
        int listeners = reader.ReadNonNullArrayLength(true, 7);
        for (int i = 0; i < listeners; i++)
        {
            request.Listeners.Add(new Listener
            {
                Name = reader.ReadString(true),
                Host = reader.ReadString(true),
                Port = reader.ReadUInt16(),
                SecurityProtocol = reader.ReadInt16(),
            });
            reader.SkipTaggedFields();
        }
        int features = reader.ReadNonNullArrayLength(true, 6);
        for (int i = 0; i < features; i++)
        {
            request.Features.Add(new Feature
            {
                Name = reader.ReadString(true),
                MinSupportedVersion = reader.ReadInt16(),
                MaxSupportedVersion = reader.ReadInt16(),
            });
            reader.SkipTaggedFields();
        }
        request.Rack = reader.ReadNullableString(true);
        if (version >= 1)
            request.IsMigratingZkBroker = reader.ReadBool();
        if (version >= 2)
            request.LogDirs = UuidArrays.Read(ref reader);
        if (version >= 3)
            request.PreviousBrokerEpoch = reader.ReadInt64();
        int tags = reader.ReadTaggedFieldCount();
        for (int t = 0; t < tags; t++)
        {
            reader.ReadTaggedFieldHeader(out int tag, out int size);
            if (tag == NodeEpochTag && size == sizeof(long))
                request.NodeEpoch = reader.ReadInt64();
            else
                reader.Skip(size);
        }
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(BrokerId);
        writer.WriteString(ClusterId, true);
        writer.WriteUuid(IncarnationId);
        writer.WriteArrayLength(Listeners.Count, true);
        foreach (Listener listener in Listeners)
        {
            writer.WriteString(listener.Name, true);
            writer.WriteString(listener.Host, true);
            writer.WriteUInt16(listener.Port);
            writer.WriteInt16(listener.SecurityProtocol);
            writer.WriteEmptyTaggedFields();
        }
        writer.WriteArrayLength(Features.Count, true);
        foreach (Feature feature in Features)
        {
            writer.WriteString(feature.Name, true);
            writer.WriteInt16(feature.MinSupportedVersion);
            writer.WriteInt16(feature.MaxSupportedVersion);
            writer.WriteEmptyTaggedFields();
        }
        writer.WriteNullableString(Rack, true);
        if (version >= 1)
            writer.WriteBool(IsMigratingZkBroker);
        if (version >= 2)
            UuidArrays.Write(ref writer, LogDirs);
        if (version >= 3)
            writer.WriteInt64(PreviousBrokerEpoch);
        if (NodeEpoch == -1)
        {
            writer.WriteEmptyTaggedFields();
        }
        else
        {
            writer.WriteUVarInt(1);
            writer.WriteTaggedFieldHeader(NodeEpochTag, sizeof(long));
            writer.WriteInt64(NodeEpoch);
        }
    }

    internal sealed class Listener
    {
        public string Name { get; set; } = "";

        public string Host { get; set; } = "";

        public ushort Port { get; set; }

        /// <summary>Kafka's SecurityProtocol id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL.</summary>
        public short SecurityProtocol { get; set; }
    }

    internal sealed class Feature
    {
        public string Name { get; set; } = "";

        public short MinSupportedVersion { get; set; }

        public short MaxSupportedVersion { get; set; }
    }
}
