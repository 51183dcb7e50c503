using System.Buffers;
using CsCheck;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>
/// Every request and response, in every version the broker speaks: a random message written, read back (also from
/// one-byte segments) and written again gives the same bytes, and the read consumes exactly what was written.
/// CsCheck reports the seed of a failing case.
/// </summary>
[TestFixture]
public sealed class MessageRoundTripTests
{
    private static IEnumerable<TestCaseData> Messages()
    {
        foreach ((ApiKey api, (IMessageCodec request, IMessageCodec response)) in MessageCodecs.ByApi)
        {
            yield return new TestCaseData((short)api, true).SetArgDisplayNames(request.Type.Name);
            yield return new TestCaseData((short)api, false).SetArgDisplayNames(response.Type.Name);
        }
    }

    [TestCaseSource(nameof(Messages))]
    public void WriteReadWrite_RandomMessageInEveryVersion_GivesTheSameBytes(short apiKey, bool request)
    {
        var api = (ApiKey)apiKey;
        Assert.That(ApiVersionsTable.TryGet(api, out ApiVersionRange range), Is.True);
        var (requestCodec, responseCodec) = MessageCodecs.ByApi[api];
        IMessageCodec codec = request ? requestCodec : responseCodec;
        Gen.Select(Gen.Int, Gen.Short[range.MinVersion, range.MaxVersion], Gen.Int[1, 7]).Sample((seed, version, segment) =>
        {
            object message = RandomMessages.Create(codec.Type, new Random(seed));
            byte[] written = codec.Write(message, version);
            foreach (ReadOnlySequence<byte> input in new[] { new ReadOnlySequence<byte>(written), MessageCodecs.Segmented(written, segment) })
            {
                object read = codec.Read(input, version, out long consumed);
                if (consumed != written.Length)
                    return false;
                if (!codec.Write(read, version).AsSpan().SequenceEqual(written))
                    return false;
            }
            return true;
        }, iter: 300);
    }

    [Test]
    public void Codecs_CoverEverySupportedApi()
    {
        foreach (ApiVersionRange range in ApiVersionsTable.All)
            Assert.That(MessageCodecs.ByApi.ContainsKey(range.ApiKey), Is.True, $"{range.ApiKey} has no codec");
    }
}
