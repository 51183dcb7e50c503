using System.Buffers;
using LogStore.Cluster.Records;

namespace LogStore.Tests.Cluster;

/// <summary>The controller log's binary format: every record round-trips; unknown formats, types, versions and
/// truncations are refused with <see cref="CorruptRecordException"/>.</summary>
public sealed class MetadataRecordSerdeTests
{
    private static readonly Guid TopicId = new("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    private static List<MetadataRecord> AllRecords() =>
    [
        new RegisterNodeRecord(1, 7, "node-1.example", 9092),
        new FenceNodeRecord(1, 7),
        new UnfenceNodeRecord(1, 7),
        new TopicRecord("orders", TopicId, true),
        new TopicConfigRecord(TopicId, "retention.ms", "604800000"),
        new PartitionRecord(TopicId, 2, [1, 2, 3], 2, 4, [2, 3], 9),
        new PartitionRecord(TopicId, 3, [1, 2, 3], 2, 4, [2], 9, [1]),
        new PartitionChangeRecord(TopicId, 2, -1, [3]),
        new PartitionChangeRecord(TopicId, 2, 3, [3], [1, 2]),
        new PartitionChangeRecord(TopicId, 2, 3, [1, 3], []),
    ];

    [Test]
    public void PartitionRecordsWithoutElr_AreVersionZero_SoOlderNodesReadThem()
    {
        byte[] plain = MetadataRecordSerde.Serialize([new PartitionChangeRecord(TopicId, 2, -1, [3])]);
        byte[] withElr = MetadataRecordSerde.Serialize([new PartitionChangeRecord(TopicId, 2, -1, [3], [1])]);

        Assert.That((plain[2], withElr[2]), Is.EqualTo(((byte)0, (byte)1)), "the record version byte");
    }

    [Test]
    public void EveryRecord_RoundTrips()
    {
        var records = AllRecords();

        var read = MetadataRecordSerde.Deserialize(new ReadOnlySequence<byte>(MetadataRecordSerde.Serialize(records)));

        Assert.That(read.Select(Text), Is.EqualTo(records.Select(Text)));
    }

    [TestCase(0, (byte)2, TestName = "UnknownEntryFormat_IsRefused")]
    [TestCase(1, (byte)99, TestName = "UnknownRecordType_IsRefused")]
    [TestCase(2, (byte)1, TestName = "UnknownRecordVersion_IsRefused")]
    [TestCase(6, (byte)0xFF, TestName = "ImpossiblePayloadLength_IsRefused")]
    public void AlteredByte_IsRefused(int position, byte value)
    {
        byte[] bytes = MetadataRecordSerde.Serialize([new FenceNodeRecord(3, 1)]);
        bytes[position] = value;

        Assert.Throws<CorruptRecordException>(() => MetadataRecordSerde.Deserialize(new ReadOnlySequence<byte>(bytes)));
    }

    [Test]
    public void EveryTruncation_IsRefused()
    {
        byte[] bytes = MetadataRecordSerde.Serialize(AllRecords());
        for (int length = 0; length < bytes.Length; length++)
        {
            var cut = new ReadOnlySequence<byte>(bytes, 0, length);
            // A cut exactly between two records is a shorter valid entry; anywhere else it must be refused.
            try
            {
                var read = MetadataRecordSerde.Deserialize(cut);
                Assert.That(read, Has.Count.LessThan(AllRecords().Count), $"a cut at {length} read every record");
            }
            catch (CorruptRecordException)
            {
            }
        }
    }

    // Records hold arrays, whose equality is by reference: compare their text with the arrays spelled out.
    private static string Text(MetadataRecord record) => record switch
    {
        PartitionRecord p => $"{p.TopicId} {p.Partition} [{string.Join(',', p.Replicas)}] {p.Leader} {p.LeaderEpoch} [{string.Join(',', p.Isr)}] {p.PartitionEpoch} [{Nodes(p.Elr ?? [])}]",
        PartitionChangeRecord c => $"{c.TopicId} {c.Partition} {c.Leader} [{string.Join(',', c.Isr)}] {(c.Elr is null ? "unchanged" : $"[{Nodes(c.Elr)}]")}",
        _ => record.ToString(),
    };

    private static string Nodes(int[] nodes) => string.Join(',', nodes);
}
