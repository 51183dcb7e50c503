using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using LogStore.Network.Apis.FetchSessions;
using LogStore.Network.Transport;
using LogStore.Tests.TestSupport;
using Kafka = Confluent.Kafka;

namespace LogStore.Tests.Network.KafkaClients;

/// <summary>
/// Which Fetch a Confluent.Kafka 2.16 consumer (librdkafka 2.16) sends now that the listener serves v16: its own
/// protocol log says, the records still leave by sendfile, and it fetches without a session (librdkafka sends session
/// id 0 and epoch -1 on every Fetch: it does not implement KIP-227), so the session cache stays empty.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class ConfluentFetchTests : BrokerFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [GeneratedRegex(@"Sent FetchRequest \(v(\d+),")]
    private static partial Regex SentFetch();

    [Test]
    public async Task Consumer_FetchesWithV16ByTopicId_Sessionless_RecordsBySendfile()
    {
        var transport = new SocketConnectionListenerFactory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            KafkaTransport = transport,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
        Topic topic = await broker.CreateTopicAsync("events");
        await using (IProducer<string, string> producer = broker.CreateProducer<string, string>())
        {
            for (int i = 0; i < 100; i++)
                producer.Produce("events", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync();
        }

        var versions = new ConcurrentBag<int>();
        using (var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig
        {
            BootstrapServers = broker.KafkaEndpoint!.ToString(),
            GroupId = "unused-by-assign",
            EnableAutoCommit = false,
            Debug = "protocol",
        }).SetLogHandler((_, log) =>
        {
            if (SentFetch().Match(log.Message) is { Success: true } m)
                versions.Add(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }).Build())
        {
            consumer.Assign(new Kafka.TopicPartitionOffset("events", 0, Kafka.Offset.Beginning));
            var values = new List<string>();
            using var deadline = new CancellationTokenSource(Timeout);
            for (int polls = 0; values.Count < 100 && polls < 10_000; polls++)
            {
                if (consumer.Consume(deadline.Token)?.Message is { } message)
                    values.Add(message.Value);
            }
            Assert.That(values, Is.EqualTo(Enumerable.Range(0, 100).Select(i => $"v{i}")));
        }

        TestContext.Out.WriteLine($"Fetch versions Confluent.Kafka sent: {string.Join(", ", versions.Distinct())}; topic id {topic.TopicId}");
        Assert.That(versions, Is.Not.Empty.And.All.EqualTo(16), "librdkafka 2.16 fetches with v16, naming the topic by its id");
        Assert.That(broker.TryGetService<FetchSessionCache>()?.Count ?? 0, Is.Zero, "librdkafka fetches without a session");
        if (OperatingSystem.IsLinux())
            Assert.That(transport.SendFileBytes, Is.GreaterThan(0), "the fetched records left by sendfile");
    }
}
