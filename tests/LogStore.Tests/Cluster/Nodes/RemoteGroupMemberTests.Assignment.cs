using LogStore.Clients.Groups;
using LogStore.Network.Apis.Groups;

namespace LogStore.Tests.Cluster.Nodes;

/// <summary>What a remote member makes of the assignment bytes a coordinator sends: nothing in them may throw.</summary>
public partial class RemoteGroupMemberTests
{
    private static readonly string[] Subscribed = [TopicName];

    [Test]
    public void TryReadAssignment_KeepsSubscribedPartitionsThisNodeHolds_OnceAndSorted()
    {
        byte[] bytes = new ConsumerProtocolAssignment
        {
            Version = 1,
            AssignedPartitions = [new(TopicName, 3), new(TopicName, 1), new(TopicName, 1), new(TopicName, 9), new("other", 0)],
        }.Write();

        bool read = RemoteGroupMember.TryReadAssignment(bytes, Subscribed, tp => tp.Partition < PartitionCount,
            out List<TopicPartition>? assigned, out List<TopicPartition> skipped, out Exception? error);

        Assert.Multiple(() =>
        {
            Assert.That(read, Is.True, error?.Message);
            Assert.That(assigned, Is.EqualTo(new[] { new TopicPartition(TopicName, 1), new TopicPartition(TopicName, 3) }));
            Assert.That(skipped, Is.EqualTo(new[] { new TopicPartition(TopicName, 9), new TopicPartition("other", 0) }),
                "a partition this node does not hold, and a topic the member does not subscribe to");
        });
    }

    [Test]
    public void TryReadAssignment_NoBytes_IsAnEmptyAssignment()
    {
        Assert.That(RemoteGroupMember.TryReadAssignment([], Subscribed, _ => true, out List<TopicPartition>? assigned, out _, out _), Is.True);
        Assert.That(assigned, Is.Empty);
    }

    [TestCase(new byte[] { 0xFF }, TestName = "{m}(truncated version)")]
    [TestCase(new byte[] { 0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF }, TestName = "{m}(negative version)")]
    [TestCase(new byte[] { 0, 1, 0x7F, 0xFF, 0xFF, 0xFF }, TestName = "{m}(more topics than bytes)")]
    [TestCase(new byte[] { 0, 1, 0, 0, 0, 1, 0, 2, 0xC3, 0x28, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF }, TestName = "{m}(topic name not UTF-8)")]
    [TestCase(new byte[] { 0, 1, 0xFF, 0xFF, 0xFF, 0xFF }, TestName = "{m}(null partitions)")]
    public void TryReadAssignment_BytesThatAreNotAnAssignment_AreRefusedWithTheReason(byte[] bytes)
    {
        bool read = RemoteGroupMember.TryReadAssignment(bytes, Subscribed, _ => true, out _, out _, out Exception? error);

        Assert.That(read, Is.False);
        Assert.That(error, Is.Not.Null);
    }

    [Test]
    public void TryReadAssignment_AnyBytes_NeverThrow()
    {
        var random = new Random(15);
        byte[] valid = new ConsumerProtocolAssignment { Version = 1, AssignedPartitions = [new(TopicName, 0), new(TopicName, 2)] }.Write();
        for (int i = 0; i < 5_000; i++)
        {
            // Half mutations of a valid assignment (which reach the deeper fields), half noise.
            byte[] bytes = i % 2 == 0 ? [.. valid] : new byte[random.Next(0, 48)];
            if (i % 2 == 0)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            else
                random.NextBytes(bytes);
            Assert.DoesNotThrow(() => RemoteGroupMember.TryReadAssignment(bytes, Subscribed, _ => true, out _, out _, out _),
                Convert.ToHexString(bytes));
        }
    }
}
