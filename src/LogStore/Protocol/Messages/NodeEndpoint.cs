namespace LogStore.Protocol;

/// <summary>
/// A broker's address in a tagged NodeEndpoints field (Fetch v16+, Produce v10+, KIP-951): where the leaders that a
/// NOT_LEADER_OR_FOLLOWER answer names can be reached, so the client need not refresh its metadata first.
/// </summary>
internal sealed class NodeEndpoint
{
    public int NodeId { get; set; }

    public string Host { get; set; } = "";

    public int Port { get; set; }

    public string? Rack { get; set; }

    /// <summary>Reads the array that is a NodeEndpoints tagged field's content (always compact).</summary>
    public static void ReadArray(ref KafkaReader reader, List<NodeEndpoint> into)
    {
        int count = reader.ReadNonNullArrayLength(compact: true, 11);
        for (int i = 0; i < count; i++)
        {
            into.Add(new NodeEndpoint
            {
                NodeId = reader.ReadInt32(),
                Host = reader.ReadString(compact: true),
                Port = reader.ReadInt32(),
                Rack = reader.ReadNullableString(compact: true),
            });
            reader.SkipTaggedFields();
        }
    }

    /// <summary>Writes <paramref name="endpoints"/> as tagged field <paramref name="tag"/>, header included.</summary>
    public static void WriteTagged(ref KafkaWriter writer, int tag, List<NodeEndpoint> endpoints)
    {
        int size = KafkaWriter.SizeOfUVarInt((uint)endpoints.Count + 1);
        foreach (NodeEndpoint endpoint in endpoints)
            size += 4 + KafkaWriter.SizeOfCompactString(endpoint.Host) + 4 + KafkaWriter.SizeOfCompactString(endpoint.Rack) + 1;
        writer.WriteTaggedFieldHeader(tag, size);
        writer.WriteArrayLength(endpoints.Count, compact: true);
        foreach (NodeEndpoint endpoint in endpoints)
        {
            writer.WriteInt32(endpoint.NodeId);
            writer.WriteString(endpoint.Host, compact: true);
            writer.WriteInt32(endpoint.Port);
            writer.WriteNullableString(endpoint.Rack, compact: true);
            writer.WriteEmptyTaggedFields();
        }
    }
}
