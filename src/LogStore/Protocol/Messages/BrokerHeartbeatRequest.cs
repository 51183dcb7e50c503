namespace LogStore.Protocol;

/// <summary>
/// BrokerHeartbeat request (key 63, v0–v1, flexible from v0): a registered node renews its session with the active
/// controller. v1+ may carry the failed log directories in tagged field 0 (<see cref="OfflineLogDirs"/>), written only
/// when not empty.
/// </summary>
internal sealed class BrokerHeartbeatRequest : IKafkaMessage<BrokerHeartbeatRequest>, IKafkaRequest
{
    private const int OfflineLogDirsTag = 0;

    public static ApiKey ApiKey => ApiKey.BrokerHeartbeat;

    public int BrokerId { get; set; }

    public long BrokerEpoch { get; set; } = -1;

    /// <summary>The highest controller-log offset the node has applied.</summary>
    public long CurrentMetadataOffset { get; set; }

    /// <summary>The node asks to be fenced (LogStore's controller does not act on it).</summary>
    public bool WantFence { get; set; }

    /// <summary>The node is shutting down.</summary>
    public bool WantShutDown { get; set; }

    /// <summary>v1+, tagged.</summary>
    public List<Guid> OfflineLogDirs { get; set; } = [];

    public ApiKey RequestApiKey => ApiKey;

    public IKafkaResponse ErrorResponse(ErrorCode errorCode) => new BrokerHeartbeatResponse { ErrorCode = errorCode };

    public static BrokerHeartbeatRequest Read(ref KafkaReader reader, short version)
    {
        var request = new BrokerHeartbeatRequest
        {
            BrokerId = reader.ReadInt32(),
            BrokerEpoch = reader.ReadInt64(),
            CurrentMetadataOffset = reader.ReadInt64(),
            WantFence = reader.ReadBool(),
            WantShutDown = reader.ReadBool(),
        };
        int tags = reader.ReadTaggedFieldCount();
        for (int t = 0; t < tags; t++)
        {
            reader.ReadTaggedFieldHeader(out int tag, out int size);
            if (tag == OfflineLogDirsTag && version >= 1)
            {
                long start = reader.Consumed;
                request.OfflineLogDirs = UuidArrays.Read(ref reader);
                reader.EnsureTaggedFieldEnd(start, size, tag);
            }
            else
            {
                reader.Skip(size);
            }
        }
        return request;
    }

    public void Write(ref KafkaWriter writer, short version)
    {
        writer.WriteInt32(BrokerId);
        writer.WriteInt64(BrokerEpoch);
        writer.WriteInt64(CurrentMetadataOffset);
        writer.WriteBool(WantFence);
        writer.WriteBool(WantShutDown);
        if (version >= 1 && OfflineLogDirs.Count > 0)
        {
            writer.WriteUVarInt(1);
            writer.WriteTaggedFieldHeader(OfflineLogDirsTag, UuidArrays.Size(OfflineLogDirs));
            UuidArrays.Write(ref writer, OfflineLogDirs);
        }
        else
        {
            writer.WriteEmptyTaggedFields();
        }
    }
}
