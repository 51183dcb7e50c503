using System.Net;
using LogStore.Tests.TestSupport;
using Kafka = Confluent.Kafka;

namespace LogStore.Tests.Network.KafkaClients;

/// <summary>
/// Confluent.Kafka (librdkafka 2.16), the client .NET users run against Kafka, against a broker's listener on
/// loopback: a producer with acks=all, a consumer by manual assignment, records crossing between it and the in-process
/// clients both ways.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConfluentClientTests : BrokerFixture
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private Broker _broker = null!;
    private string _bootstrap = null!;

    [SetUp]
    public async Task OpenBroker()
    {
        _broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) },
        });
        _bootstrap = _broker.KafkaEndpoint!.ToString();
    }

    [TearDown]
    public async Task CloseBroker() => await _broker.DisposeAsync();

    [TestCase(false)]
    [TestCase(true)]
    public async Task Producer_AcksAll_WritesRecordsTheStoreReads(bool idempotent)
    {
        await _broker.CreateTopicAsync("orders", new TopicConfig { Partitions = 2 });
        using (var producer = new Kafka.ProducerBuilder<string, string>(new Kafka.ProducerConfig
        {
            BootstrapServers = _bootstrap,
            Acks = Kafka.Acks.All,
            EnableIdempotence = idempotent,
            LingerMs = 5,
            CompressionType = Kafka.CompressionType.Zstd,
        }).Build())
        {
            for (int i = 0; i < 200; i++)
            {
                var message = new Kafka.Message<string, string> { Key = $"k{i}", Value = $"v{i}", Headers = [new Kafka.Header("h", [(byte)i])] };
                producer.Produce(new Kafka.TopicPartition("orders", i % 2), message);
            }
            Assert.That(producer.Flush(Timeout), Is.Zero, "every record delivered");
        }

        foreach (int p in new[] { 0, 1 })
        {
            var stored = await Batches.ReadAll(_broker.Topics.Single(t => t.Name == "orders").Partitions[p]);
            Assert.That(stored.Select(r => r.Value), Is.EqualTo(Enumerable.Range(0, 200).Where(i => i % 2 == p).Select(i => $"v{i}")));
        }
    }

    [Test]
    public async Task Consumer_ByAssignment_ReadsWhatInProcessProducersWrote()
    {
        await _broker.CreateTopicAsync("events");
        await using (IProducer<string, string> producer = _broker.CreateProducer<string, string>())
        {
            for (int i = 0; i < 300; i++)
                producer.Produce("events", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            await producer.FlushAsync();
        }

        using var consumer = new Kafka.ConsumerBuilder<string, string>(new Kafka.ConsumerConfig
        {
            BootstrapServers = _bootstrap,
            GroupId = "unused-by-assign",
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(new Kafka.TopicPartitionOffset("events", 0, Kafka.Offset.Beginning));
        var values = new List<string>();
        using var deadline = new CancellationTokenSource(Timeout);
        for (int polls = 0; values.Count < 300 && polls < 10_000; polls++)
        {
            Kafka.ConsumeResult<string, string>? result = consumer.Consume(deadline.Token);
            if (result?.Message is { } message)
                values.Add(message.Value);
        }

        Assert.That(values, Is.EqualTo(Enumerable.Range(0, 300).Select(i => $"v{i}")));
        Kafka.WatermarkOffsets watermarks = consumer.QueryWatermarkOffsets(new Kafka.TopicPartition("events", 0), Timeout);
        Assert.That((watermarks.Low.Value, watermarks.High.Value), Is.EqualTo((0L, 300L)));
    }

    [Test]
    public async Task AdminClient_CreatesDescribesTrimsAndDeletesTopics()
    {
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = _bootstrap }).Build();

        await admin.CreateTopicsAsync([new Kafka.Admin.TopicSpecification
        {
            Name = "audit", NumPartitions = 3, ReplicationFactor = 1,
            Configs = new Dictionary<string, string> { ["retention.ms"] = "3600000", ["cleanup.policy"] = "compact" },
        }]);
        Assert.That(_broker.TryGetTopic("audit", out Topic? created), Is.True);
        Assert.That(created!.Partitions, Has.Count.EqualTo(3));
        Assert.That((created.Config.RetentionTime, created.Config.CleanupPolicy), Is.EqualTo(((TimeSpan?)TimeSpan.FromHours(1), CleanupPolicy.Compact)));

        var refused = Assert.ThrowsAsync<Kafka.Admin.CreateTopicsException>(async () => await admin.CreateTopicsAsync(
            [new Kafka.Admin.TopicSpecification { Name = "audit", NumPartitions = 1, ReplicationFactor = 1 }]));
        Assert.That(refused!.Results[0].Error.Code, Is.EqualTo(Kafka.ErrorCode.TopicAlreadyExists));

        List<Kafka.Admin.DescribeConfigsResult> described = await admin.DescribeConfigsAsync(
            [new Kafka.Admin.ConfigResource { Type = Kafka.Admin.ResourceType.Topic, Name = "audit" }]);
        Assert.That(described[0].Entries["retention.ms"].Value, Is.EqualTo("3600000"));
        Assert.That(described[0].Entries["cleanup.policy"].Value, Is.EqualTo("compact"));

        Partition first = created.Partitions[0];
        for (int i = 0; i < 5; i++)
            await first.AppendAsync(Batches.Batch(Batches.Make(i, 1)));
        List<Kafka.Admin.DeleteRecordsResult> trimmed = await admin.DeleteRecordsAsync([new Kafka.TopicPartitionOffset("audit", 0, 3)]);
        Assert.That(trimmed[0].Offset.Value, Is.EqualTo(3));
        Assert.That(first.LogStartOffset, Is.EqualTo(3));

        await admin.DeleteTopicsAsync(["audit"]);
        Assert.That(_broker.TryGetTopic("audit", out _), Is.False);
        var internalRefused = Assert.ThrowsAsync<Kafka.Admin.DeleteTopicsException>(async () => await admin.DeleteTopicsAsync(["__consumer_offsets"]));
        Assert.That(internalRefused!.Results[0].Error.IsError, Is.True);
    }

    [Test]
    public async Task AdminClient_ListsEveryTopic()
    {
        // librdkafka's all-topics Metadata request (v12+) pads its null topic count with three bytes that Kafka ignores.
        await _broker.CreateTopicAsync("first", new TopicConfig { Partitions = 2 });
        await _broker.CreateTopicAsync("second");
        using var admin = new Kafka.AdminClientBuilder(new Kafka.AdminClientConfig { BootstrapServers = _bootstrap }).Build();

        Kafka.Metadata metadata = admin.GetMetadata(Timeout);

        Assert.That(metadata.Topics.Select(t => (t.Topic, t.Partitions.Count)), Is.SupersetOf(new[] { ("first", 2), ("second", 1) }));
    }
}
