using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>One body of testdata/kafka-schema-vectors/vectors.json, encoded from Kafka's message schema.</summary>
public sealed record SchemaVector(
    [property: JsonPropertyName("api")] string Api,
    [property: JsonPropertyName("apiKey")] short ApiKey,
    [property: JsonPropertyName("apiVersion")] short ApiVersion,
    [property: JsonPropertyName("direction")] string Direction,
    [property: JsonPropertyName("bodyBase64")] string BodyBase64)
{
    public override string ToString() => $"{Api}{(Direction == "request" ? "Request" : "Response")} v{ApiVersion} {BodyBase64[..Math.Min(12, BodyBase64.Length)]}";
}

/// <summary>
/// Every request and response body, in every version the broker speaks that Kafka's schemas of 2024-10 define, as an
/// encoder written from those schemas alone made it (tests/testdata/kafka-schema-vectors): each decodes whole and
/// re-encodes byte for byte, which checks our field lists against Kafka's where no captured client frame reaches.
/// </summary>
[TestFixture]
public sealed class SchemaVectorTests
{
    private static IEnumerable<TestCaseData> Vectors()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "testdata", "kafka-schema-vectors", "vectors.json");
        List<SchemaVector> vectors = JsonSerializer.Deserialize<List<SchemaVector>>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no vectors.");
        return vectors.Select((v, i) => new TestCaseData(v).SetArgDisplayNames($"#{i} {v}"));
    }

    [TestCaseSource(nameof(Vectors))]
    public void Read_SchemaVector_ConsumesEveryByteAndReencodesByteEqual(SchemaVector vector)
    {
        var (request, response) = MessageCodecs.ByApi[(ApiKey)vector.ApiKey];
        IMessageCodec codec = vector.Direction == "request" ? request : response;
        byte[] body = Convert.FromBase64String(vector.BodyBase64);
        object message = codec.Read(new ReadOnlySequence<byte>(body), vector.ApiVersion, out long consumed);
        Assert.That(consumed, Is.EqualTo(body.Length), "every byte read");
        Assert.That(Convert.ToHexString(codec.Write(message, vector.ApiVersion)), Is.EqualTo(Convert.ToHexString(body)));
    }
}
