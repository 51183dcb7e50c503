namespace LogStore.Protocol;

/// <summary>
/// A partition's current leader in a tagged CurrentLeader field (Fetch v12+, Produce v10+): sent with
/// NOT_LEADER_OR_FOLLOWER so the client can go to the new leader at once.
/// </summary>
internal sealed class LeaderIdAndEpoch
{
    /// <summary>The content's size: two int32 and an empty tagged section.</summary>
    public const int TaggedSize = 4 + 4 + 1;

    public int LeaderId { get; set; } = -1;

    public int LeaderEpoch { get; set; } = -1;

    public static LeaderIdAndEpoch Read(ref KafkaReader reader)
    {
        var leader = new LeaderIdAndEpoch { LeaderId = reader.ReadInt32(), LeaderEpoch = reader.ReadInt32() };
        reader.SkipTaggedFields();
        return leader;
    }

    /// <summary>Writes this as tagged field <paramref name="tag"/>, header included.</summary>
    public void WriteTagged(ref KafkaWriter writer, int tag)
    {
        writer.WriteTaggedFieldHeader(tag, TaggedSize);
        writer.WriteInt32(LeaderId);
        writer.WriteInt32(LeaderEpoch);
        writer.WriteEmptyTaggedFields();
    }
}
