using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network;

/// <summary>
/// Requests for APIs Kafka defines and LogStore does not serve, sent raw over the in-memory transport: each is answered
/// in its API's own response layout with UNSUPPORTED_VERSION, its body skipped unread, and the connection serves the next
/// request; what has no response shape (a key or version Kafka does not define, a served API at a version not served)
/// closes the connection, logged.
/// </summary>
[TestFixture]
public sealed class UnsupportedApiTests
{
    private const int Seed = 20261206;
    private TempDirectory _dir = null!;
    private CapturingLoggerFactory _logs = null!;
    private InMemoryConnectionListenerFactory _transport = null!;
    private Broker _broker = null!;
    private CancellationTokenSource _timeout = null!;

    public static IEnumerable<TestCaseData> Layouts() =>
        UnsupportedApis.All.Select(l => new TestCaseData((short)l.ApiKey).SetName($"UnsupportedApi_{l.ApiKey}_IsAnsweredInItsLayout_AndTheConnectionStaysUsable"));

    [OneTimeSetUp]
    public async Task OpenBroker()
    {
        _dir = new TempDirectory();
        _logs = new CapturingLoggerFactory();
        _transport = new InMemoryConnectionListenerFactory();
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _dir.Path,
            LoggerFactory = _logs,
            KafkaTransport = _transport,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
    }

    [OneTimeTearDown]
    public async Task CloseBroker()
    {
        await _broker.DisposeAsync();
        _logs.Dispose();
        _dir.Dispose();
    }

    [SetUp]
    public void StartTimeout() => _timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

    [TearDown]
    public void StopTimeout() => _timeout.Dispose();

    [TestCaseSource(nameof(Layouts))]
    public async Task EveryVersion(short key)
    {
        var apiKey = (ApiKey)key;
        UnsupportedApiLayout layout = UnsupportedApis.All.Single(l => l.ApiKey == apiKey);
        var random = new Random(HashCode.Combine(Seed, (int)apiKey));
        await using TestClient client = new(await _transport.ConnectAsync(_timeout.Token));
        int correlationId = 1000 * (int)apiKey;
        for (short version = layout.MinVersion; version <= layout.MaxVersion; version++)
        {
            // The body is junk of any length: the broker must skip it by the frame's size, never read it.
            byte[] body = new byte[random.Next(0, 200)];
            random.NextBytes(body);
            await client.SendAsync(Frame(apiKey, version, ++correlationId, layout.IsFlexible(version), body), _timeout.Token);

            byte[] response = await client.ReadResponseAsync(_timeout.Token);

            int answered = UnsupportedApiWalker.Walk(new ReadOnlySequence<byte>(response), layout, version);
            Assert.That(answered, Is.EqualTo(correlationId), $"{apiKey} v{version} (seed {Seed})");
        }
        await AssertServesApiVersionsAsync(client, ++correlationId);
    }

    [Test]
    public void Table_CoversEveryKafkaKeyLogStoreDoesNotServe_AndNoServedOne()
    {
        foreach (ApiKey key in Enum.GetValues<ApiKey>())
        {
            bool served = ApiVersionsTable.TryGet(key, out _);
            bool answered = UnsupportedApis.All.Any(l => l.ApiKey == key);
            Assert.That(served ^ answered, Is.True, $"{key} must be either served or in the unsupported table");
        }
    }

    // Hand-written from Kafka's schemas, independent of the table: the bytes after the correlation id.
    [TestCase((short)ApiKey.DescribeAcls, (short)1, "00000000" + "0023" + "FFFF" + "00000000")]
    [TestCase((short)ApiKey.DescribeAcls, (short)2, "00" + "00000000" + "0023" + "00" + "01" + "00")]
    [TestCase((short)ApiKey.OffsetDelete, (short)0, "0023" + "00000000" + "00000000")]
    [TestCase((short)ApiKey.ConsumerGroupHeartbeat, (short)0, "00" + "00000000" + "0023" + "00" + "00" + "00000000" + "00000000" + "FF" + "00")]
    [TestCase((short)ApiKey.GetTelemetrySubscriptions, (short)0,
        "00" + "00000000" + "0023" + "00000000000000000000000000000000" + "00000000" + "01" + "00000000" + "00000000" + "00" + "01" + "00")]
    [TestCase((short)ApiKey.EndTxn, (short)5, "00" + "00000000" + "0023" + "0000000000000000" + "0000" + "00")]
    [TestCase((short)ApiKey.CreatePartitions, (short)0, "00000000" + "00000000")]
    public async Task Response_HasTheBytesKafkasSchemaSays(short key, short version, string expectedHex)
    {
        var apiKey = (ApiKey)key;
        Assert.That(UnsupportedApis.TryGet(apiKey, version, out UnsupportedApiLayout? layout), Is.True);
        await using TestClient client = new(await _transport.ConnectAsync(_timeout.Token));
        await client.SendAsync(Frame(apiKey, version, 7, layout!.IsFlexible(version), []), _timeout.Token);

        byte[] response = await client.ReadResponseAsync(_timeout.Token);

        Assert.That(TestClient.CorrelationId(response), Is.EqualTo(7));
        Assert.That(Convert.ToHexString(response.AsSpan(4)), Is.EqualTo(expectedHex));
    }

    [TestCase((short)999, (short)0, false, "Unsupported API 999 v0: not an API key Kafka 4.0 defines")]
    [TestCase((short)ApiKey.DescribeAcls, (short)99, false, "Unsupported API DescribeAcls v99: Kafka defines v0-v3")]
    [TestCase((short)ApiKey.Produce, (short)11, true, "Unsupported API Produce v11: LogStore serves v3-v10")]
    public async Task NoResponseShape_ClosesTheConnection_Logged(short apiKey, short version, bool flexible, string reason)
    {
        int before = _logs.WithId(5007).Count;
        await using TestClient client = new(await _transport.ConnectAsync(_timeout.Token));

        await client.SendAsync(Frame((ApiKey)apiKey, version, 1, flexible, [1, 2, 3]), _timeout.Token);

        Assert.That(await client.IsClosedByServerAsync(_timeout.Token), Is.True);
        Assert.That(_logs.WithId(5007).Skip(before).Select(e => e.Exception!.Message), Has.Some.Contains(reason));
    }

    [Test]
    public async Task ApiVersionsOfANewerVersion_IsAnsweredUnsupportedVersionInV0_WithItsOwnVersions()
    {
        await using TestClient client = new(await _transport.ConnectAsync(_timeout.Token));

        await client.SendAsync(Frame(ApiKey.ApiVersions, 4, 3, flexible: true, [0, 0, 0]), _timeout.Token);

        ApiVersionsResponse response = ResponseDecoder.Read<ApiVersionsResponse>(
            new ReadOnlySequence<byte>(await client.ReadResponseAsync(_timeout.Token)), 0, flexibleHeader: false, out int correlationId);
        Assert.That(correlationId, Is.EqualTo(3));
        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.UnsupportedVersion));
        // As Kafka: only ApiVersions' own range, enough for the client to retry with a version it lists.
        Assert.That(response.ApiKeys.Select(k => (k.ApiKey, k.MaxVersion)), Is.EqualTo(new[] { (ApiKey.ApiVersions, (short)3) }));
        await AssertServesApiVersionsAsync(client, 4);
    }

    private static async Task AssertServesApiVersionsAsync(TestClient client, int correlationId)
    {
        await client.SendAsync(Frame(ApiKey.ApiVersions, 0, correlationId, flexible: false, []), CancellationToken.None);
        ApiVersionsResponse response = ResponseDecoder.Read<ApiVersionsResponse>(
            new ReadOnlySequence<byte>(await client.ReadResponseAsync(CancellationToken.None)), 0, flexibleHeader: false, out int answered);
        Assert.That(answered, Is.EqualTo(correlationId));
        Assert.That(response.ErrorCode, Is.EqualTo(ErrorCode.None), "the connection still serves requests");
    }

    /// <summary>A request frame with its size prefix: header v1, or v2 (an empty tagged-field section) when flexible.</summary>
    internal static byte[] Frame(ApiKey apiKey, short version, int correlationId, bool flexible, ReadOnlySpan<byte> body)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(new byte[4]);
        var writer = new KafkaWriter(output);
        writer.WriteInt16((short)apiKey);
        writer.WriteInt16(version);
        writer.WriteInt32(correlationId);
        writer.WriteNullableString("raw", compact: false);
        if (flexible)
            writer.WriteEmptyTaggedFields();
        writer.WriteRaw(body);
        byte[] frame = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        return frame;
    }
}
