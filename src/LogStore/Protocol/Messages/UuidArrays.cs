namespace LogStore.Protocol;

/// <summary>Compact arrays of uuids (log directory ids of BrokerRegistration and BrokerHeartbeat).</summary>
internal static class UuidArrays
{
    public static List<Guid> Read(ref KafkaReader reader)
    {
        int count = reader.ReadNonNullArrayLength(true, 16);
        var list = new List<Guid>(count);
        for (int i = 0; i < count; i++)
            list.Add(reader.ReadUuid());
        return list;
    }

    public static void Write(ref KafkaWriter writer, List<Guid> values)
    {
        writer.WriteArrayLength(values.Count, true);
        foreach (Guid value in values)
            writer.WriteUuid(value);
    }

    /// <summary>The bytes <see cref="Write"/> takes, to size a tagged field.</summary>
    public static int Size(List<Guid> values) => KafkaWriter.SizeOfUVarInt((uint)values.Count + 1) + 16 * values.Count;
}
