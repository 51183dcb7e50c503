using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>
/// The frames kcat and Confluent.Kafka sent to librdkafka's mock cluster, and its answers
/// (testdata/kafka-wire): every request decodes and re-encodes byte for byte, every response decodes.
/// </summary>
[TestFixture]
public sealed class CapturedFrameTests
{
    private static IEnumerable<TestCaseData> Requests() =>
        WireFrames.Requests.Select(f => new TestCaseData(f).SetArgDisplayNames(f.ToString()));

    private static IEnumerable<TestCaseData> Responses() =>
        WireFrames.Responses.Where(f => MessageCodecs.ByApi.ContainsKey((ApiKey)f.ApiKey))
            .Select(f => new TestCaseData(f).SetArgDisplayNames(f.ToString()));

    [Test]
    public void Frames_CoverEveryApiAndVersionTheReadmeLists()
    {
        string[] expected =
        [
            "ApiVersions v0", "ApiVersions v3", "Metadata v4", "Metadata v13", "Produce v7", "Produce v10", "Fetch v11",
            "Fetch v16", "ListOffsets v2", "ListOffsets v7", "FindCoordinator v2", "JoinGroup v5", "SyncGroup v3",
            "Heartbeat v3", "LeaveGroup v1", "OffsetCommit v9", "OffsetFetch v6", "InitProducerId v4",
            "GetTelemetrySubscriptions v0",
        ];
        Assert.That(WireFrames.All, Has.Count.EqualTo(110));
        Assert.That(WireFrames.All.Select(f => $"{f.Api} v{f.ApiVersion}").Distinct(), Is.EquivalentTo(expected));
    }

    [TestCaseSource(nameof(Requests))]
    public void TryDecode_CapturedRequest_DecodesAndReencodesByteEqual(WireFrame frame)
    {
        byte[] body = frame.Body;
        foreach (ReadOnlySequence<byte> input in new[] { new ReadOnlySequence<byte>(body), MessageCodecs.Segmented(body, 3) })
        {
            DecodedRequest decoded = RequestDecoder.TryDecode(input);
            Assert.That(decoded.Header, Is.Not.Null, decoded.Error);
            Assert.That(decoded.Header!.CorrelationId, Is.EqualTo(frame.CorrelationId));
            Assert.That(decoded.Header.ClientId, Is.EqualTo(frame.ClientId));
            Assert.That((short)decoded.Header.ApiKey, Is.EqualTo(frame.ApiKey));
            if (!MessageCodecs.ByApi.TryGetValue(decoded.Header.ApiKey, out var codecs))
            {
                if (ApiVersionsTable.TryGet(decoded.Header.ApiKey, out _))
                    Assert.Ignore($"{decoded.Header.ApiKey} has no codec yet");
                // GetTelemetrySubscriptions (KIP-714): not spoken, answered UNSUPPORTED_VERSION with its correlation id.
                Assert.That(decoded.IsUnsupportedVersion, Is.True, decoded.Error);
                continue;
            }
            Assert.That(decoded.Succeeded, Is.True, decoded.Error);

            var output = new ArrayBufferWriter<byte>();
            var writer = new KafkaWriter(output);
            decoded.Header.Write(ref writer);
            Assert.That(codecs.Request.Type, Is.EqualTo(decoded.Body!.GetType()));
            output.Write(codecs.Request.Write(decoded.Body, frame.ApiVersion));
            Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo(Convert.ToHexString(body)));
        }
    }

    [TestCaseSource(nameof(Responses))]
    public void Read_CapturedResponse_DecodesAndReencodesByteEqual(WireFrame frame)
    {
        byte[] body = frame.Body;
        var (_, response) = MessageCodecs.ByApi[(ApiKey)frame.ApiKey];
        bool flexibleHeader = FlexibleResponseHeader(frame);
        var reader = new KafkaReader(new ReadOnlySequence<byte>(body));
        Assert.That(ResponseHeader.Read(ref reader, flexibleHeader), Is.EqualTo(frame.CorrelationId));
        int headerLength = (int)reader.Consumed;

        if (IsMockApiVersionsRefusal(frame))
        {
            Assert.That(reader.ReadInt16(), Is.EqualTo((short)ErrorCode.UnsupportedVersion));
            return;
        }

        ReadOnlySequence<byte> bodyOnly = new(body, headerLength, body.Length - headerLength);
        object message = response.Read(bodyOnly, frame.ApiVersion, out long consumed);
        bodyOnly = bodyOnly.Slice(0, bodyOnly.Length - MockTrailer(frame));
        Assert.That(consumed, Is.EqualTo(bodyOnly.Length), "every byte of the response is read");
        Assert.That(Convert.ToHexString(response.Write(message, frame.ApiVersion)), Is.EqualTo(Convert.ToHexString(bodyOnly.ToArray())));
    }

    [TestCaseSource(nameof(Requests))]
    public void TryDecode_CapturedRequestTruncatedAnywhere_ReturnsAnErrorAndNeverThrows(WireFrame frame)
    {
        byte[] body = frame.Body;
        // Large frames (a Produce of 20 KB) are cut at 2,000 positions spread over the frame, small ones everywhere.
        int step = Math.Max(1, body.Length / 2000);
        for (int length = 0; length < body.Length; length += step)
        {
            DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(body, 0, length));
            Assert.That(decoded.Succeeded, Is.False, $"{frame} cut to {length} bytes decoded");
            Assert.That(decoded.Error, Is.Not.Null);
        }
    }

    [TestCaseSource(nameof(Responses))]
    public void Read_CapturedResponseTruncatedAnywhere_ThrowsKafkaProtocolException(WireFrame frame)
    {
        if (IsMockApiVersionsRefusal(frame))
            Assert.Ignore("the mock's ApiVersions v3 refusal has no schema to truncate against");
        byte[] body = frame.Body;
        var (_, response) = MessageCodecs.ByApi[(ApiKey)frame.ApiKey];
        int headerLength = HeaderLength(frame);
        int step = Math.Max(1, body.Length / 2000);
        for (int length = headerLength; length < body.Length - MockTrailer(frame); length += step)
        {
            var cut = new ReadOnlySequence<byte>(body, headerLength, length - headerLength);
            Assert.That(() => response.Read(cut, frame.ApiVersion, out _), Throws.TypeOf<KafkaProtocolException>(),
                $"{frame} cut to {length} bytes");
        }
    }

    private static bool FlexibleResponseHeader(WireFrame frame) =>
        ApiVersionsTable.TryGet((ApiKey)frame.ApiKey, out ApiVersionRange range)
        && range.IsFlexible(frame.ApiVersion) && frame.ApiKey != (short)ApiKey.ApiVersions;

    // The mock ends a Metadata v13 response with 4 bytes where the schema has 3 (v13's ErrorCode, then the empty
    // tagged fields): one byte no field describes, which librdkafka does not read either.
    private static int MockTrailer(WireFrame frame) =>
        frame.ApiKey == (short)ApiKey.Metadata && frame.ApiVersion == 13 ? 1 : 0;

    private static int HeaderLength(WireFrame frame) => FlexibleResponseHeader(frame) ? 5 : 4;

    // The mock refuses ApiVersions v3 with a body no schema describes (a compact count of 0, then one v0 entry): a
    // client only reads the error code and retries with v0.
    private static bool IsMockApiVersionsRefusal(WireFrame frame) =>
        frame.ApiKey == (short)ApiKey.ApiVersions && frame.ApiVersion >= 3 && frame.Body[5] == (byte)ErrorCode.UnsupportedVersion;
}
