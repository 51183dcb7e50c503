using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>Responses as a handler returns them: header by Kafka's rule, then the body.</summary>
[TestFixture]
public sealed class ResponseEncoderTests
{
    private static ReadOnlySequence<byte> Bytes(ResponseFrame frame)
    {
        var all = new ArrayBufferWriter<byte>();
        foreach (ResponseFramePart part in frame.Parts)
            all.Write(part.Bytes);
        Assert.That(all.WrittenCount, Is.EqualTo(frame.Length));
        return new ReadOnlySequence<byte>(all.WrittenMemory);
    }

    [Test]
    public void Encode_FlexibleRequest_WritesHeaderV1AndTheBodyInTheRequestsVersion()
    {
        var request = new RequestHeader { ApiKey = ApiKey.Heartbeat, ApiVersion = 4, CorrelationId = 77 };
        using ResponseFrame frame = ResponseEncoder.Encode(request, new HeartbeatResponse { ErrorCode = ErrorCode.RebalanceInProgress });
        Assert.That(Convert.ToHexString(Bytes(frame).ToArray()), Is.EqualTo("0000004D" + "00" + "00000000" + "001B" + "00"));
        HeartbeatResponse read = ResponseDecoder.Read<HeartbeatResponse>(Bytes(frame), 4, flexibleHeader: true, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(77));
        Assert.That(read.ErrorCode, Is.EqualTo(ErrorCode.RebalanceInProgress));
    }

    [Test]
    public void Encode_ApiVersionsV3_KeepsResponseHeaderV0()
    {
        var request = new RequestHeader { ApiKey = ApiKey.ApiVersions, ApiVersion = 3, CorrelationId = 1 };
        using ResponseFrame frame = ResponseEncoder.Encode(request, ApiVersionsResponse.FromTable());
        ApiVersionsResponse read = ResponseDecoder.Read<ApiVersionsResponse>(Bytes(frame), 3, flexibleHeader: false, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(1));
        Assert.That(read.ApiKeys, Has.Count.EqualTo(ApiVersionsTable.All.Count));
    }

    [Test]
    public void UnsupportedApiVersions_IsV0WithHeaderV0()
    {
        using ResponseFrame frame = ResponseEncoder.UnsupportedApiVersions(9);
        Assert.That(Convert.ToHexString(Bytes(frame).ToArray()), Is.EqualTo("00000009" + "0023" + "00000001" + "0012" + "0000" + "0003"));
    }

    [Test]
    public void ResponseDecoder_TrailingBytes_Throw()
    {
        byte[] bytes = Convert.FromHexString("0000000100000000001B00");
        Assert.That(() => ResponseDecoder.Read<HeartbeatResponse>(new ReadOnlySequence<byte>(bytes), 3, false, out _),
            Throws.TypeOf<KafkaProtocolException>());
    }
}
