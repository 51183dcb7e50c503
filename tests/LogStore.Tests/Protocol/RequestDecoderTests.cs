using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>The decoder the network layer and the fuzzer call: errors as values, never exceptions.</summary>
[TestFixture]
public sealed class RequestDecoderTests
{
    private static byte[] Frame(ApiKey api, short version, int correlationId, Action<KafkaWriterBox>? body = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        new RequestHeader { ApiKey = api, ApiVersion = version, CorrelationId = correlationId, ClientId = "test" }.Write(ref writer);
        body?.Invoke(new KafkaWriterBox(output));
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Lets a lambda write a body (a ref struct cannot be captured).</summary>
    internal sealed class KafkaWriterBox(IBufferWriter<byte> output)
    {
        public void Write<T>(T message, short version) where T : IKafkaMessage<T>
        {
            var writer = new KafkaWriter(output);
            message.Write(ref writer, version);
        }

        public void Raw(params byte[] bytes) => output.Write(bytes);
    }

    [Test]
    public void TryDecode_MetadataV12_ReturnsHeaderAndBody()
    {
        byte[] frame = Frame(ApiKey.Metadata, 12, 7, w => w.Write(new MetadataRequest { Topics = [new() { Name = "orders" }] }, 12));
        DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame));
        Assert.That(decoded.Succeeded, Is.True, decoded.Error);
        Assert.That(decoded.Header!.CorrelationId, Is.EqualTo(7));
        Assert.That(decoded.Header.IsFlexible, Is.True);
        Assert.That(((MetadataRequest)decoded.Body!).Topics![0].Name, Is.EqualTo("orders"));
    }

    [TestCase((short)999, (short)0)]
    [TestCase((short)ApiKey.Produce, (short)2)]
    [TestCase((short)ApiKey.Fetch, (short)99)]
    [TestCase((short)ApiKey.AddPartitionsToTxn, (short)3)]
    public void TryDecode_UnsupportedApiOrVersion_ReturnsUnsupportedWithTheCorrelationId(short api, short version)
    {
        byte[] frame = Frame((ApiKey)api, version, 42, w => w.Raw(1, 2, 3));
        DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame));
        Assert.That(decoded.Succeeded, Is.False);
        Assert.That(decoded.IsUnsupportedVersion, Is.True, decoded.Error);
        Assert.That(decoded.Header!.CorrelationId, Is.EqualTo(42));
    }

    [Test]
    public void TryDecode_ApiVersionsV4_IsUnsupportedButItsHeaderIsRead()
    {
        // A newer client's first request: the broker answers it in v0 (Kafka's rule), so it needs the correlation id.
        byte[] frame = Frame(ApiKey.ApiVersions, 4, 1, w => w.Write(new ApiVersionsRequest { ClientSoftwareName = "x", ClientSoftwareVersion = "1" }, 4));
        DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame));
        Assert.That(decoded.IsUnsupportedVersion, Is.True);
        Assert.That(decoded.Header!.CorrelationId, Is.EqualTo(1));
        Assert.That(decoded.Header.ResponseHeaderIsFlexible, Is.False);
    }

    [Test]
    public void TryDecode_TrailingBytes_AreIgnoredAsKafkaDoes()
    {
        byte[] frame = Frame(ApiKey.Heartbeat, 3, 5, w =>
        {
            w.Write(new HeartbeatRequest { GroupId = "g", MemberId = "m" }, 3);
            w.Raw(1, 0, 0);
        });
        DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame));
        Assert.That(decoded.Succeeded, Is.True, decoded.Error);
        Assert.That(((HeartbeatRequest)decoded.Body!).MemberId, Is.EqualTo("m"));
    }

    [Test]
    public void TryDecode_ProduceWithAHugeTopicCount_IsAnErrorWithoutAllocatingForIt()
    {
        // acks, timeout, then 2^31-1 topics in a frame of a few bytes.
        byte[] frame = Frame(ApiKey.Produce, 7, 9, w => w.Raw(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x75, 0x30, 0x7F, 0xFF, 0xFF, 0xFF));
        long before = GC.GetAllocatedBytesForCurrentThread();
        DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(frame));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(decoded.Succeeded, Is.False);
        Assert.That(decoded.Error, Does.Contain("does not fit"));
        Assert.That(allocated, Is.LessThan(64 * 1024), "nothing sized by the claimed count");
    }

    [Test]
    public void TryDecode_ProduceRecords_AreASliceOfTheFrame()
    {
        byte[] records = [1, 2, 3, 4, 5];
        var produce = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 1000,
            Topics = [new() { Name = "t", Partitions = [new() { Index = 0, Records = new ReadOnlySequence<byte>(records) }] }],
        };
        byte[] frame = Frame(ApiKey.Produce, 9, 1, w => w.Write(produce, 9));
        var input = new ReadOnlySequence<byte>(frame);
        DecodedRequest decoded = RequestDecoder.TryDecode(input);
        ReadOnlySequence<byte> slice = ((ProduceRequest)decoded.Body!).Topics[0].Partitions[0].Records!.Value;
        Assert.That(slice.ToArray(), Is.EqualTo(records));
        Assert.That(slice.First.Span.Overlaps(frame), Is.True, "no copy");
    }

    [Test]
    public void TryDecode_EmptyAndShortFrames_AreErrors()
    {
        for (int length = 0; length < 8; length++)
        {
            DecodedRequest decoded = RequestDecoder.TryDecode(new ReadOnlySequence<byte>(new byte[length]));
            Assert.That(decoded.Succeeded, Is.False, $"{length} bytes");
        }
    }

    [Test]
    public void TryDecode_FuzzedFrames_NeverThrowAllocateBoundedAndReencodeStably()
    {
        // The CI-size run; the soak tool runs millions (tests/LogStore.Soak, "request fuzz").
        RequestFuzzFigures figures = RequestFuzzer.Run(frames: 30_000, seed: 20261205);
        TestContext.Out.WriteLine(figures);
        Assert.That(figures.Decoded, Is.GreaterThan(1000), "some frames survive mutation and are checked further");
        Assert.That(figures.Frames - figures.Decoded - figures.Unsupported, Is.GreaterThan(1000), "many are refused");
    }
}
