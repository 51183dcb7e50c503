using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogStore.Tests.Protocol;

/// <summary>One frame of testdata/kafka-wire/frames.json: what kcat or Confluent.Kafka sent, or the mock answered.</summary>
public sealed record WireFrame(
    [property: JsonPropertyName("api")] string Api,
    [property: JsonPropertyName("apiKey")] short ApiKey,
    [property: JsonPropertyName("apiVersion")] short ApiVersion,
    [property: JsonPropertyName("direction")] string Direction,
    [property: JsonPropertyName("correlationId")] int CorrelationId,
    [property: JsonPropertyName("clientId")] string? ClientId,
    [property: JsonPropertyName("frameBase64")] string FrameBase64)
{
    public bool IsRequest => Direction == "request";

    /// <summary>The frame without its 4-byte size prefix, which the tests check against the frame's length.</summary>
    public byte[] Body
    {
        get
        {
            byte[] all = Convert.FromBase64String(FrameBase64);
            int size = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(all);
            Assert.That(size, Is.EqualTo(all.Length - 4), $"{this}: size prefix");
            return all[4..];
        }
    }

    public override string ToString() => $"{Api} v{ApiVersion} {Direction} #{CorrelationId}";
}

/// <summary>Loads the captured frames (tests/testdata/kafka-wire/README.md says how they were captured).</summary>
internal static class WireFrames
{
    private static readonly Lazy<IReadOnlyList<WireFrame>> Frames = new(Load);

    public static IReadOnlyList<WireFrame> All => Frames.Value;

    public static IEnumerable<WireFrame> Requests => All.Where(f => f.IsRequest);

    public static IEnumerable<WireFrame> Responses => All.Where(f => !f.IsRequest);

    private static IReadOnlyList<WireFrame> Load()
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "testdata", "kafka-wire", "frames.json");
        return JsonSerializer.Deserialize<List<WireFrame>>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no frames.");
    }
}
