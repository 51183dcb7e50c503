using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Network.Apis.Groups;

/// <summary>
/// The metadata a consumer puts in each protocol of its JoinGroup (Kafka's ConsumerProtocolSubscription, versions
/// 0–3, not flexible): int16 version, topics (int32 count of int16 strings), user data (nullable int32 bytes),
/// v1+ owned partitions (topic, int32 partitions), v2+ generation id, v3+ rack id (nullable string).
/// </summary>
/// <remarks>A version above 3 is read as version 3 and bytes after the last known field are ignored, as Kafka's
/// own deserializer does, so a newer client still joins.</remarks>
internal sealed class ConsumerProtocolSubscription
{
    /// <summary>The newest version this codec knows.</summary>
    public const short HighestVersion = 3;

    public short Version { get; set; }

    public List<string> Topics { get; set; } = [];

    public byte[]? UserData { get; set; }

    /// <summary>v1+: the partitions the consumer holds now (cooperative rebalancing relies on them).</summary>
    public List<TopicPartition> OwnedPartitions { get; set; } = [];

    /// <summary>v2+: the generation the consumer last joined, -1 when none.</summary>
    public int GenerationId { get; set; } = -1;

    /// <summary>v3+: client.rack, null when unset.</summary>
    public string? RackId { get; set; }

    /// <summary>Decodes <paramref name="metadata"/>.</summary>
    /// <exception cref="KafkaProtocolException">The bytes are not a subscription.</exception>
    public static ConsumerProtocolSubscription Read(byte[] metadata)
    {
        var reader = new KafkaReader(new ReadOnlySequence<byte>(metadata));
        short version = reader.ReadInt16();
        if (version < 0)
            throw new KafkaProtocolException($"A consumer subscription has the negative version {version}.");
        var subscription = new ConsumerProtocolSubscription { Version = version, Topics = reader.ReadStringArray(compact: false) };
        subscription.UserData = reader.ReadNullableBytes(compact: false);
        if (version >= 1)
            subscription.OwnedPartitions = ReadPartitions(ref reader);
        if (version >= 2)
            subscription.GenerationId = reader.ReadInt32();
        if (version >= 3)
            subscription.RackId = reader.ReadNullableString(compact: false);
        return subscription;
    }

    /// <summary>Encodes the subscription in <see cref="Version"/> (at most <see cref="HighestVersion"/>).</summary>
    public byte[] Write()
    {
        short version = Math.Min(Version, HighestVersion);
        var output = new ArrayBufferWriter<byte>(64);
        var writer = new KafkaWriter(output);
        writer.WriteInt16(version);
        writer.WriteStringArray(Topics, compact: false);
        writer.WriteNullableBytes(UserData, compact: false);
        if (version >= 1)
            WritePartitions(ref writer, OwnedPartitions);
        if (version >= 2)
            writer.WriteInt32(GenerationId);
        if (version >= 3)
            writer.WriteNullableString(RackId, compact: false);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads Kafka's <c>[]TopicPartition</c>: per topic a name and its partitions.</summary>
    internal static List<TopicPartition> ReadPartitions(ref KafkaReader reader)
    {
        int topics = reader.ReadNonNullArrayLength(compact: false, minElementSize: 6);
        var partitions = new List<TopicPartition>();
        for (int i = 0; i < topics; i++)
        {
            string topic = reader.ReadString(compact: false);
            foreach (int partition in reader.ReadInt32Array(compact: false))
                partitions.Add(new TopicPartition(topic, partition));
        }
        return partitions;
    }

    /// <summary>Writes <paramref name="partitions"/> as Kafka's <c>[]TopicPartition</c>, one entry per run of a topic
    /// (callers sort them by topic first).</summary>
    internal static void WritePartitions(ref KafkaWriter writer, IReadOnlyList<TopicPartition> partitions)
    {
        int topics = 0;
        for (int i = 0; i < partitions.Count; i++)
        {
            if (i == 0 || partitions[i].Topic != partitions[i - 1].Topic)
                topics++;
        }
        writer.WriteInt32(topics);
        var indexes = new List<int>();
        for (int i = 0; i < partitions.Count; i++)
        {
            indexes.Add(partitions[i].Partition);
            if (i == partitions.Count - 1 || partitions[i + 1].Topic != partitions[i].Topic)
            {
                writer.WriteString(partitions[i].Topic, compact: false);
                writer.WriteInt32Array(indexes, compact: false);
                indexes.Clear();
            }
        }
    }
}
