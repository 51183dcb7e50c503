using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

/// <summary>
/// A consumer's assignment as SyncGroup returns it (Kafka's ConsumerProtocolAssignment, versions 0–3, one wire
/// format): int16 version, assigned partitions (per topic a name and int32 partitions), user data (nullable bytes).
/// </summary>
internal sealed class ConsumerProtocolAssignment
{
    public short Version { get; set; }

    /// <summary>Sorted by topic, then partition.</summary>
    public List<TopicPartition> AssignedPartitions { get; set; } = [];

    public byte[]? UserData { get; set; }

    /// <summary>Decodes <paramref name="bytes"/>; a newer version is read as version 3.</summary>
    /// <exception cref="KafkaProtocolException">The bytes are not an assignment.</exception>
    public static ConsumerProtocolAssignment Read(byte[] bytes)
    {
        var reader = new KafkaReader(new ReadOnlySequence<byte>(bytes));
        short version = reader.ReadInt16();
        if (version < 0)
            throw new KafkaProtocolException($"A consumer assignment has the negative version {version}.");
        var assignment = new ConsumerProtocolAssignment
        {
            Version = version,
            AssignedPartitions = ConsumerProtocolSubscription.ReadPartitions(ref reader),
            UserData = reader.ReadNullableBytes(compact: false),
        };
        return assignment;
    }

    /// <summary>Encodes the assignment in <see cref="Version"/> (at most 3).</summary>
    public byte[] Write()
    {
        var output = new ArrayBufferWriter<byte>(64);
        var writer = new KafkaWriter(output);
        writer.WriteInt16(Math.Min(Version, ConsumerProtocolSubscription.HighestVersion));
        ConsumerProtocolSubscription.WritePartitions(ref writer, AssignedPartitions);
        writer.WriteNullableBytes(UserData, compact: false);
        return output.WrittenSpan.ToArray();
    }
}
