using System.Net;
using System.Text;
using LogStore.Network.Transport;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.KafkaClients;

/// <summary>
/// kcat (librdkafka), a Kafka client nobody here wrote, against a broker's listener on loopback: list, produce with
/// keys and headers in every codec, consume back, and interop with the in-process producer and consumer.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class KcatTests : BrokerFixture
{
    private Broker _broker = null!;
    private IPEndPoint _endpoint = null!;
    private CapturingLoggerFactory _logs = null!;
    private SocketConnectionListenerFactory _transport = null!;

    [SetUp]
    public async Task OpenBroker()
    {
        Kcat.RequireInstalled();
        _logs = new CapturingLoggerFactory();
        _transport = new SocketConnectionListenerFactory();
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            LoggerFactory = _logs,
            KafkaTransport = _transport,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
        _endpoint = _broker.KafkaEndpoint!;
    }

    [TearDown]
    public async Task CloseBroker()
    {
        await _broker.DisposeAsync();
        // A client's failure is often a connection the broker closed: say why.
        foreach (var entry in _logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning))
            TestContext.Out.WriteLine($"{entry.EventId.Id} {entry.Message} {entry.Exception}");
    }

    [Test]
    public async Task List_ShowsTopicsAndPartitions()
    {
        await _broker.CreateTopicAsync("orders", new TopicConfig { Partitions = 3 });

        (int code, string output, string error) = await Kcat.RunAsync(_endpoint, null, "-L", "-m", "10");

        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("topic \"orders\" with 3 partitions"));
        Assert.That(output, Does.Contain($"broker 0 at {_endpoint.Address}:{_endpoint.Port}"));
    }

    [TestCase("none")]
    [TestCase("gzip")]
    [TestCase("snappy")]
    [TestCase("lz4")]
    [TestCase("zstd")]
    public async Task Produce_WithKeysAndHeaders_ThenConsume_RoundTrips(string codec)
    {
        await _broker.CreateTopicAsync("t");
        string lines = string.Concat(Enumerable.Range(0, 100).Select(i => $"k{i}:value {i}\n"));

        (int produced, _, string produceError) = await Kcat.RunAsync(_endpoint, lines,
            "-P", "-t", "t", "-K:", "-z", codec, "-H", "h1=x", "-H", "h2=");
        (int consumed, string output, string consumeError) = await Kcat.RunAsync(_endpoint, null,
            "-C", "-t", "t", "-o", "beginning", "-e", "-f", "%k=%s|%h|%o\n", "-m", "10");

        Assert.That(produced, Is.Zero, produceError);
        Assert.That(consumed, Is.Zero, consumeError);
        string[] records = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(records, Has.Length.EqualTo(100));
        Assert.That(records[0], Is.EqualTo("k0=value 0|h1=x,h2=|0"));
        Assert.That(records[99], Is.EqualTo("k99=value 99|h1=x,h2=|99"));
        if (OperatingSystem.IsLinux())
            Assert.That(_transport.SendFileBytes, Is.GreaterThan(0), "the fetched records left by sendfile");

        // The records are in the store's files, as an in-process consumer reads them.
        var stored = await Batches.ReadAll(_broker.Topics.Single(t => t.Name == "t").Partitions[0]);
        Assert.That(stored.Select(r => (r.Key, r.Value)), Is.EqualTo(Enumerable.Range(0, 100).Select(i => ($"k{i}", $"value {i}"))));
    }

    [Test]
    public async Task RecordsProducedInProcess_AreReadByKcat()
    {
        await _broker.CreateTopicAsync("inproc");
        await using (IProducer<string, string> producer = _broker.CreateProducer<string, string>())
        {
            for (int i = 0; i < 50; i++)
                await producer.ProduceAsync(new TopicPartition("inproc", 0), new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        }

        (int code, string output, string error) = await Kcat.RunAsync(_endpoint, null,
            "-C", "-t", "inproc", "-p", "0", "-o", "beginning", "-e", "-f", "%k %s\n", "-m", "10");

        Assert.That(code, Is.Zero, error);
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(Enumerable.Range(0, 50).Select(i => $"k{i} v{i}")));
    }

    [Test]
    public async Task Produce_ToAMissingTopic_CreatesIt()
    {
        (int code, _, string error) = await Kcat.RunAsync(_endpoint, "a\nb\n", "-P", "-t", "fresh");

        Assert.That(code, Is.Zero, error);
        Assert.That(_broker.TryGetTopic("fresh", out Topic? topic), Is.True);
        Assert.That(topic!.Partitions[0].LogEndOffset, Is.EqualTo(2));
    }

    [Test]
    public async Task Consume_FromAnOffsetAndATimestamp()
    {
        await _broker.CreateTopicAsync("t");
        Partition partition = _broker.Topics.Single(t => t.Name == "t").Partitions[0];
        for (int i = 0; i < 10; i++)
            await partition.AppendAsync(Batches.Batch(Batches.Make(i * 10, 10)));

        (_, string fromOffset, string e1) = await Kcat.RunAsync(_endpoint, null, "-C", "-t", "t", "-o", "95", "-e", "-f", "%o\n");
        (_, string fromTime, string e2) = await Kcat.RunAsync(_endpoint, null, "-C", "-t", "t", "-o", $"s@{Batches.BaseTime + 5}", "-e", "-c", "1", "-f", "%s\n");

        Assert.That(fromOffset.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "95", "96", "97", "98", "99" }), e1);
        // Batch i holds records i*10.. with timestamps BaseTime + 0..9: the first at or after BaseTime + 5 is v5.
        Assert.That(fromTime.Trim(), Is.EqualTo("v5"), e2);
    }
}
