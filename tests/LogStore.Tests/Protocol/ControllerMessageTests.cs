using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>
/// The controller APIs' bytes where the random round trips cannot tell: Kafka's exact layout of a BrokerHeartbeat,
/// the tagged fields (LogStore's node epoch, Kafka's offline log directories) and AlterPartition's version switches.
/// </summary>
[TestFixture]
public sealed class ControllerMessageTests
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
    public void BrokerHeartbeatRequest_V0_IsKafkasLayout()
    {
        var request = new BrokerHeartbeatRequest { BrokerId = 2, BrokerEpoch = 7, CurrentMetadataOffset = 300, WantShutDown = true };
        Assert.That(Convert.ToHexString(Encode(request, 0)),
            Is.EqualTo("00000002" + "0000000000000007" + "000000000000012C" + "00" + "01" + "00"));
    }

    [Test]
    public void BrokerHeartbeatRequest_OfflineLogDirs_AreTaggedField0FromV1()
    {
        var dir = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var request = new BrokerHeartbeatRequest { BrokerId = 1, BrokerEpoch = 1, OfflineLogDirs = [dir] };
        byte[] bytes = Encode(request, 1);
        // One field: tag 0, 17 bytes: a compact array of one uuid.
        Assert.That(Convert.ToHexString(bytes[^20..]), Is.EqualTo("01" + "00" + "11" + "02" + "00112233445566778899AABBCCDDEEFF"));
        Assert.That(Decode<BrokerHeartbeatRequest>(bytes, 1).OfflineLogDirs, Is.EqualTo(new[] { dir }));
        Assert.That(Encode(request, 0)[^1], Is.Zero, "v0 has no such field");
    }

    [Test]
    public void BrokerRegistrationRequest_NodeEpoch_TravelsInLogStoresTag_AndIsAbsentWhenUnset()
    {
        var request = new BrokerRegistrationRequest
        {
            BrokerId = 3,
            Listeners = [new() { Name = "PLAINTEXT", Host = "node3", Port = 65000 }],
            NodeEpoch = 9,
        };
        byte[] bytes = Encode(request, 4);
        // One field: tag 10000 (uvarint 90 4E), 8 bytes.
        Assert.That(Convert.ToHexString(bytes[^12..]), Is.EqualTo("01" + "904E" + "08" + "0000000000000009"));
        BrokerRegistrationRequest read = Decode<BrokerRegistrationRequest>(bytes, 4);
        Assert.That(read.NodeEpoch, Is.EqualTo(9));
        Assert.That(read.Listeners.Single().Port, Is.EqualTo((ushort)65000), "uint16, not a negative int16");
        Assert.That(Decode<BrokerRegistrationRequest>(Encode(new BrokerRegistrationRequest(), 0), 0).NodeEpoch, Is.EqualTo(-1));
    }

    [Test]
    public void AlterPartitionRequest_NamesTopicsUntilV1_IdsFromV2_AndIsrWithEpochsFromV3()
    {
        var id = Guid.NewGuid();
        var request = new AlterPartitionRequest
        {
            BrokerId = 1,
            BrokerEpoch = 4,
            Topics =
            [
                new()
                {
                    TopicName = "orders",
                    TopicId = id,
                    Partitions = [new() { PartitionIndex = 0, LeaderEpoch = 2, PartitionEpoch = 5, NewIsr = [1, 2], NewIsrWithEpochs = [new() { BrokerId = 1 }] }],
                },
            ],
        };
        AlterPartitionRequest v1 = Decode<AlterPartitionRequest>(Encode(request, 1), 1);
        Assert.That(v1.Topics[0].TopicName, Is.EqualTo("orders"));
        Assert.That(v1.Topics[0].TopicId, Is.EqualTo(Guid.Empty));
        Assert.That(v1.Topics[0].Partitions[0].IsrIds(1), Is.EqualTo(new[] { 1, 2 }));
        AlterPartitionRequest v3 = Decode<AlterPartitionRequest>(Encode(request, 3), 3);
        Assert.That(v3.Topics[0].TopicId, Is.EqualTo(id));
        Assert.That(v3.Topics[0].TopicName, Is.Empty);
        Assert.That(v3.Topics[0].Partitions[0].IsrIds(3), Is.EqualTo(new[] { 1 }));
        Assert.That(v3.Topics[0].Partitions[0].NewIsrWithEpochs[0].BrokerEpoch, Is.EqualTo(-1));
        Assert.That(v3.Topics[0].Partitions[0].PartitionEpoch, Is.EqualTo(5));
    }

    [Test]
    public void ControllerApis_AreServed_NotAnsweredUnsupported()
    {
        foreach (ApiKey api in new[] { ApiKey.AlterPartition, ApiKey.BrokerRegistration, ApiKey.BrokerHeartbeat })
        {
            Assert.That(ApiVersionsTable.TryGet(api, out ApiVersionRange range), Is.True, api.ToString());
            Assert.That(range.IsFlexible(range.MinVersion), Is.True, api.ToString());
            Assert.That(UnsupportedApis.All.Any(l => l.ApiKey == api), Is.False, api.ToString());
        }
    }
}
