using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>The ApiVersions table, the headers and the error codes.</summary>
[TestFixture]
public sealed class ProtocolTableTests
{
    [Test]
    public void Table_SupportsEveryVersionTheCapturedClientsSent()
    {
        foreach (WireFrame frame in WireFrames.Requests)
        {
            if (frame.Api == "GetTelemetrySubscriptions")
                continue;
            Assert.That(ApiVersionsTable.Supports((ApiKey)frame.ApiKey, frame.ApiVersion), Is.True, frame.ToString());
        }
    }

    [Test]
    public void Table_FlexibleVersionsMatchKafkasSchemas()
    {
        // flexibleVersions of Kafka's message schemas; SaslHandshake has none.
        var expected = new Dictionary<ApiKey, short>
        {
            [ApiKey.Produce] = 9, [ApiKey.Fetch] = 12, [ApiKey.ListOffsets] = 6, [ApiKey.Metadata] = 9,
            [ApiKey.OffsetCommit] = 8, [ApiKey.OffsetFetch] = 6, [ApiKey.FindCoordinator] = 3, [ApiKey.JoinGroup] = 6,
            [ApiKey.Heartbeat] = 4, [ApiKey.LeaveGroup] = 4, [ApiKey.SyncGroup] = 4, [ApiKey.DescribeGroups] = 5,
            [ApiKey.ListGroups] = 3, [ApiKey.ApiVersions] = 3, [ApiKey.CreateTopics] = 5, [ApiKey.DeleteTopics] = 4,
            [ApiKey.DeleteRecords] = 2, [ApiKey.InitProducerId] = 2, [ApiKey.OffsetForLeaderEpoch] = 4,
            [ApiKey.DescribeConfigs] = 4, [ApiKey.SaslAuthenticate] = 2,
            [ApiKey.AlterPartition] = 0, [ApiKey.BrokerRegistration] = 0, [ApiKey.BrokerHeartbeat] = 0,
        };
        foreach (ApiVersionRange range in ApiVersionsTable.All)
        {
            if (range.ApiKey == ApiKey.SaslHandshake)
                Assert.That(range.IsFlexible(range.MaxVersion), Is.False);
            else
                Assert.That(range.FirstFlexibleVersion, Is.EqualTo(expected[range.ApiKey]), range.ApiKey.ToString());
        }
        Assert.That(ApiVersionsTable.All, Has.Count.EqualTo(25));
    }

    [Test]
    public void ApiVersionsResponse_FromTable_ListsEveryApiInKeyOrder()
    {
        ApiVersionsResponse response = ApiVersionsResponse.FromTable();
        Assert.That(response.ApiKeys.Select(a => a.ApiKey), Is.EqualTo(ApiVersionsTable.All.Select(r => r.ApiKey)));
        Assert.That(response.ApiKeys.Select(a => (short)a.ApiKey), Is.Ordered);
    }

    [Test]
    public void ApiVersionsResponse_UnsupportedVersion_IsReadableAsV0()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        ResponseHeader.Write(ref writer, 3, flexible: false);
        ApiVersionsResponse.UnsupportedVersion().Write(ref writer, 0);
        var reader = new KafkaReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        Assert.That(ResponseHeader.Read(ref reader, flexible: false), Is.EqualTo(3));
        ApiVersionsResponse read = ApiVersionsResponse.Read(ref reader, 0);
        Assert.That(read.ErrorCode, Is.EqualTo(ErrorCode.UnsupportedVersion));
        Assert.That(read.ApiKeys.Single().ApiKey, Is.EqualTo(ApiKey.ApiVersions));
        Assert.That(read.ApiKeys.Single().MaxVersion, Is.EqualTo((short)3));
    }

    [TestCase((short)ApiKey.ApiVersions, (short)3, true, false)]
    [TestCase((short)ApiKey.ApiVersions, (short)0, false, false)]
    [TestCase((short)ApiKey.Metadata, (short)9, true, true)]
    [TestCase((short)ApiKey.Metadata, (short)8, false, false)]
    [TestCase((short)ApiKey.SaslHandshake, (short)1, false, false)]
    [TestCase((short)999, (short)5, false, false)]
    public void RequestHeader_FlexibilityAndResponseHeader(short api, short version, bool requestV2, bool responseV1)
    {
        var header = new RequestHeader { ApiKey = (ApiKey)api, ApiVersion = version };
        Assert.That(header.IsFlexible, Is.EqualTo(requestV2));
        Assert.That(header.ResponseHeaderIsFlexible, Is.EqualTo(responseV1));
    }

    [Test]
    public void RequestHeader_V2_KeepsAClassicClientIdAndSkipsTaggedFields()
    {
        // api 3 v12, correlation 5, client id "ab" (int16 length even in v2), one unknown tagged field.
        byte[] bytes = Convert.FromHexString("0003000C000000050002616201050161");
        var reader = new KafkaReader(new ReadOnlySequence<byte>(bytes));
        RequestHeader header = RequestHeader.Read(ref reader);
        Assert.That(header.ClientId, Is.EqualTo("ab"));
        Assert.That(reader.Remaining, Is.Zero);
    }

    [Test]
    public void ErrorCode_HasKafkasNumbers()
    {
        Assert.That((short)ErrorCode.UnknownServerError, Is.EqualTo(-1));
        Assert.That((short)ErrorCode.NotLeaderOrFollower, Is.EqualTo(6));
        Assert.That((short)ErrorCode.UnsupportedVersion, Is.EqualTo(35));
        Assert.That((short)ErrorCode.SaslAuthenticationFailed, Is.EqualTo(58));
        Assert.That((short)ErrorCode.MemberIdRequired, Is.EqualTo(79));
        Assert.That((short)ErrorCode.InvalidRecord, Is.EqualTo(87));
    }

    [Test]
    public void FromException_MapsLogStoreExceptionsToKafkasErrors()
    {
        var tp = new TopicPartition("t", 0);
        Assert.Multiple(() =>
        {
            Assert.That(ErrorCodes.FromException(new CorruptRecordException("bad crc")), Is.EqualTo(ErrorCode.CorruptMessage));
            Assert.That(ErrorCodes.FromException(new NotLeaderException(tp)), Is.EqualTo(ErrorCode.NotLeaderOrFollower));
            Assert.That(ErrorCodes.FromException(new OffsetOutOfRangeException(tp, 9, 0, 5)), Is.EqualTo(ErrorCode.OffsetOutOfRange));
            Assert.That(ErrorCodes.FromException(new UnknownTopicException("t", 3)), Is.EqualTo(ErrorCode.UnknownTopicOrPartition));
            Assert.That(ErrorCodes.FromException(new RecordTooLargeException(tp, 2 << 20, 1 << 20)), Is.EqualTo(ErrorCode.MessageTooLarge));
            Assert.That(ErrorCodes.FromException(new InvalidTopicException("a/b", "slash")), Is.EqualTo(ErrorCode.InvalidTopic));
            Assert.That(ErrorCodes.FromException(new TopicExistsException("t")), Is.EqualTo(ErrorCode.TopicAlreadyExists));
            Assert.That(ErrorCodes.FromException(new InvalidTimestampException(tp, -5, "negative")), Is.EqualTo(ErrorCode.InvalidTimestamp));
            Assert.That(ErrorCodes.FromException(new PartitionOfflineException(tp, new IOException())), Is.EqualTo(ErrorCode.KafkaStorageError));
            Assert.That(ErrorCodes.FromException(new KafkaProtocolException("x")), Is.EqualTo(ErrorCode.InvalidRequest));
            Assert.That(ErrorCodes.FromException(new OperationCanceledException()), Is.EqualTo(ErrorCode.RequestTimedOut));
            Assert.That(ErrorCodes.FromException(new InvalidOperationException()), Is.EqualTo(ErrorCode.UnknownServerError));
        });
    }
}
