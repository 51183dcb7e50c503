using System.Buffers;
using LogStore.Network.Apis.Groups;
using LogStore.Protocol;
using LogStore.Tests.Protocol;

namespace LogStore.Tests.Network.Groups;

/// <summary>
/// The consumer protocol's subscription and assignment against what librdkafka sent and the mock cluster answered
/// (testdata/kafka-wire: kcat 1.7.1 writes subscription v1, Confluent.Kafka 2.16 v3; librdkafka writes assignments
/// v0), and round trips of every version.
/// </summary>
[TestFixture]
public sealed class ConsumerProtocolTests
{
    private static IEnumerable<TestCaseData> JoinGroupRequests() => WireFrames.Requests
        .Where(f => f.ApiKey == (short)ApiKey.JoinGroup)
        .Select(f => new TestCaseData(f).SetArgDisplayNames(f.ToString()));

    private static IEnumerable<TestCaseData> SyncGroupResponses() => WireFrames.Responses
        .Where(f => f.ApiKey == (short)ApiKey.SyncGroup)
        .Select(f => new TestCaseData(f).SetArgDisplayNames(f.ToString()));

    [TestCaseSource(nameof(JoinGroupRequests))]
    public void Subscription_OfLibrdkafkasJoinGroup_DecodesAndReencodesByteEqual(WireFrame frame)
    {
        DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame.Body));
        var request = (JoinGroupRequest)decoded.Body!;
        Assert.That(request.Protocols.Select(p => p.Name), Is.EqualTo(new[] { "range", "roundrobin" }));

        foreach (JoinGroupRequest.Protocol protocol in request.Protocols)
        {
            ConsumerProtocolSubscription subscription = ConsumerProtocolSubscription.Read(protocol.Metadata);

            Assert.That(subscription.Version, Is.EqualTo(request.GroupId == "wiregroup" ? 1 : 3));
            Assert.That(subscription.Topics, Is.EqualTo(new[] { request.GroupId == "wiregroup" ? "wire-none" : "acc-roundtrip" }));
            Assert.That(subscription.OwnedPartitions, Is.Empty);
            Assert.That(subscription.UserData, Is.Empty);
            if (subscription.Version >= 2)
                Assert.That(subscription.GenerationId, Is.EqualTo(-1));
            Assert.That(Convert.ToHexString(subscription.Write()), Is.EqualTo(Convert.ToHexString(protocol.Metadata)));
        }
    }

    [TestCaseSource(nameof(SyncGroupResponses))]
    public void Assignment_OfASyncGroupResponse_DecodesAndReencodesByteEqual(WireFrame frame)
    {
        var reader = new KafkaReader(new ReadOnlySequence<byte>(frame.Body));
        ResponseHeader.Read(ref reader, flexible: false);
        SyncGroupResponse response = SyncGroupResponse.Read(ref reader, frame.ApiVersion);

        ConsumerProtocolAssignment assignment = ConsumerProtocolAssignment.Read(response.Assignment);

        Assert.That(assignment.Version, Is.EqualTo(0));
        Assert.That(assignment.AssignedPartitions, Is.Not.Empty);
        Assert.That(assignment.AssignedPartitions.Select(p => p.Topic).Distinct().Single(), Is.AnyOf("wire-none", "acc-roundtrip"));
        Assert.That(Convert.ToHexString(assignment.Write()), Is.EqualTo(Convert.ToHexString(response.Assignment)));
    }

    [Test]
    public void Assignment_TheLeadersSyncGroupFromLibrdkafka_SplitsThePartitions()
    {
        WireFrame frame = WireFrames.Requests.Single(f => f.ApiKey == (short)ApiKey.SyncGroup && f.Body.Length > 150);
        var request = (SyncGroupRequest)RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame.Body)).Body!;

        var assignments = request.Assignments.Select(a => ConsumerProtocolAssignment.Read(a.Bytes).AssignedPartitions).ToList();

        Assert.That(assignments.SelectMany(a => a), Is.EquivalentTo(Enumerable.Range(0, 4).Select(p => new TopicPartition("acc-roundtrip", p))));
        Assert.That(assignments, Has.All.Count.EqualTo(2));
    }

    [TestCase((short)0)]
    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    public void Subscription_EveryVersion_RoundTrips(short version)
    {
        var subscription = new ConsumerProtocolSubscription
        {
            Version = version,
            Topics = ["a", "b"],
            UserData = version == 0 ? null : [1, 2, 3],
            OwnedPartitions = version >= 1 ? [new("a", 0), new("a", 2), new("b", 1)] : [],
            GenerationId = version >= 2 ? 7 : -1,
            RackId = version >= 3 ? "rack-1" : null,
        };

        ConsumerProtocolSubscription read = ConsumerProtocolSubscription.Read(subscription.Write());

        Assert.That((read.Version, read.GenerationId, read.RackId), Is.EqualTo((version, subscription.GenerationId, subscription.RackId)));
        Assert.That(read.Topics, Is.EqualTo(subscription.Topics));
        Assert.That(read.UserData, Is.EqualTo(subscription.UserData));
        Assert.That(read.OwnedPartitions, Is.EqualTo(subscription.OwnedPartitions));
    }

    [Test]
    public void Subscription_NewerVersionWithMoreFields_IsReadAsVersionThree()
    {
        byte[] v3 = new ConsumerProtocolSubscription { Version = 3, Topics = ["t"], GenerationId = 4, RackId = "r" }.Write();
        byte[] v4 = [.. v3, 0, 0, 0, 9];
        v4[1] = 4;

        ConsumerProtocolSubscription read = ConsumerProtocolSubscription.Read(v4);

        Assert.That((read.Version, read.GenerationId, read.RackId), Is.EqualTo(((short)4, 4, "r")));
        Assert.That(read.Topics, Is.EqualTo(new[] { "t" }));
    }

    [TestCase(new byte[0])]
    [TestCase(new byte[] { 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [TestCase(new byte[] { 0, 1, 0, 0, 0, 5, 0, 1 })]
    [TestCase(new byte[] { 0, 0, 0, 0, 0, 1, 0, 9, (byte)'t' })]
    public void Subscription_Malformed_ThrowsKafkaProtocolException(byte[] bytes) =>
        Assert.That(() => ConsumerProtocolSubscription.Read(bytes), Throws.InstanceOf<KafkaProtocolException>());

    [Test]
    public void Assignment_PartitionsOfSeveralTopics_AreGroupedPerTopic()
    {
        var assignment = new ConsumerProtocolAssignment { Version = 3, AssignedPartitions = [new("a", 0), new("a", 1), new("b", 5)] };

        byte[] bytes = assignment.Write();

        // int16 version, int32 2 topics, "a" [0, 1], "b" [5], null user data
        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("0003" + "00000002" + "000161" + "00000002" + "00000000" + "00000001"
            + "000162" + "00000001" + "00000005" + "FFFFFFFF"));
        Assert.That(ConsumerProtocolAssignment.Read(bytes).AssignedPartitions, Is.EqualTo(assignment.AssignedPartitions));
    }
}
