using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>
/// The tagged fields of Fetch and Produce, which followers and redirected clients use: written when set, read back,
/// checked (CreateTopics' is in the schema and round-trip tests).
/// </summary>
[TestFixture]
public sealed class TaggedFieldTests
{
    private static byte[] Encode<T>(T message, short version) where T : IKafkaMessage<T>
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        message.Write(ref writer, version);
        return output.WrittenSpan.ToArray();
    }

    private static T Decode<T>(byte[] bytes, short version) where T : IKafkaMessage<T>
    {
        var reader = new KafkaReader(new ReadOnlySequence<byte>(bytes));
        T message = T.Read(ref reader, version);
        reader.EnsureEnd(typeof(T).Name);
        return message;
    }

    [Test]
    public void FetchRequest_FollowerFields_AreTheTaggedSectionKafkaWrites()
    {
        var request = new FetchRequest { ClusterId = "c1", ReplicaState = new() { ReplicaId = 2, ReplicaEpoch = 7 } };
        byte[] bytes = Encode(request, 15);
        // Two fields; tag 0, 3 bytes: compact "c1"; tag 1, 13 bytes: replica id, broker epoch, no tags.
        Assert.That(Convert.ToHexString(bytes[^21..]), Is.EqualTo("02" + "0003036331" + "010D" + "00000002" + "0000000000000007" + "00"));
        FetchRequest read = Decode<FetchRequest>(bytes, 15);
        Assert.That(read.ClusterId, Is.EqualTo("c1"));
        Assert.That(read.ReplicaState!.ReplicaId, Is.EqualTo(2));
        Assert.That(read.ReplicaState.ReplicaEpoch, Is.EqualTo(7));
    }

    [Test]
    public void FetchRequest_ConsumerFields_WriteAnEmptyTaggedSection()
    {
        byte[] bytes = Encode(new FetchRequest(), 12);
        Assert.That(bytes[^1], Is.Zero);
        Assert.That(Decode<FetchRequest>(bytes, 12).ClusterId, Is.Null);
    }

    [Test]
    public void FetchResponse_PartitionAndEndpointTags_RoundTrip()
    {
        var response = new FetchResponse
        {
            Topics =
            [
                new()
                {
                    TopicId = Guid.NewGuid(),
                    Partitions =
                    [
                        new()
                        {
                            ErrorCode = ErrorCode.NotLeaderOrFollower,
                            DivergingEpoch = new() { Epoch = 3, EndOffset = 120 },
                            CurrentLeader = new() { LeaderId = 2, LeaderEpoch = 4 },
                            SnapshotId = new() { EndOffset = 99, Epoch = 1 },
                        },
                    ],
                },
            ],
            NodeEndpoints = [new() { NodeId = 2, Host = "broker-2", Port = 9092, Rack = null }],
        };
        byte[] bytes = Encode(response, 16);
        FetchResponse read = Decode<FetchResponse>(bytes, 16);
        FetchResponse.PartitionData partition = read.Topics[0].Partitions[0];
        Assert.That(partition.DivergingEpoch!.EndOffset, Is.EqualTo(120));
        Assert.That(partition.CurrentLeader!.LeaderId, Is.EqualTo(2));
        Assert.That(partition.SnapshotId!.EndOffset, Is.EqualTo(99));
        Assert.That(read.NodeEndpoints.Single().Host, Is.EqualTo("broker-2"));
        Assert.That(Encode(read, 16), Is.EqualTo(bytes));
        Assert.That(Decode<FetchResponse>(Encode(response, 15), 15).NodeEndpoints, Is.Empty, "endpoints are v16+");
    }

    [Test]
    public void FetchRequest_KnownTagWithTheWrongSize_Throws()
    {
        byte[] bytes = Encode(new FetchRequest { ReplicaState = new() }, 15);
        Assert.That(bytes[^14], Is.EqualTo(13), "the ReplicaState tag's size");
        bytes[^14] = 12; // claims 12 bytes, holds 13
        Assert.That(() => Decode<FetchRequest>(bytes, 15), Throws.TypeOf<KafkaProtocolException>());
    }

    [Test]
    public void ProduceResponse_V10Redirect_RoundTripsAndIsAbsentBefore()
    {
        var response = new ProduceResponse
        {
            Topics = [new() { Name = "t", Partitions = [new() { ErrorCode = ErrorCode.NotLeaderOrFollower, CurrentLeader = new() { LeaderId = 3, LeaderEpoch = 9 } }] }],
            NodeEndpoints = [new() { NodeId = 3, Host = "b3", Port = 9093, Rack = "r1" }],
        };
        byte[] bytes = Encode(response, 10);
        ProduceResponse read = Decode<ProduceResponse>(bytes, 10);
        Assert.That(read.Topics[0].Partitions[0].CurrentLeader!.LeaderEpoch, Is.EqualTo(9));
        Assert.That(read.NodeEndpoints.Single().Rack, Is.EqualTo("r1"));
        Assert.That(Encode(read, 10), Is.EqualTo(bytes));

        ProduceResponse v9 = Decode<ProduceResponse>(Encode(response, 9), 9);
        Assert.That(v9.Topics[0].Partitions[0].CurrentLeader, Is.Null);
        Assert.That(v9.NodeEndpoints, Is.Empty);
    }
}
