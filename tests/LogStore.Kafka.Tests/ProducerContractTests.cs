using System.Text;
using LogStore.Kafka.Tests.TestSupport;

namespace LogStore.Kafka.Tests;

/// <summary>IProducer's contract, embedded and through Confluent.Kafka: typed keys, headers, timestamps, delivery
/// reports and the typed errors for an unknown topic and a message too large.</summary>
[TestFixture(ClientMode.Embedded)]
[TestFixture(ClientMode.Kafka)]
[NonParallelizable]
public sealed class ProducerContractTests(ClientMode mode) : ContractFixture(mode)
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Test]
    public async Task ProduceAsync_TypedKeysHeadersTimestamps_ConsumedAsProduced()
    {
        await CreateTopic("orders", partitions: 2);
        var offsets = new List<long>();
        await using (IProducer<int, string> producer = Clients.CreateProducer<int, string>())
        {
            for (int i = 0; i < 10; i++)
            {
                var headers = new Headers { { "trace", [(byte)i] }, { "empty", null } };
                DeliveryResult result = await producer.ProduceAsync(new TopicPartition("orders", 1),
                    new Message<int, string> { Key = i, Value = $"v{i}", Headers = headers, Timestamp = T0.AddSeconds(i) }, Deadline);
                Assert.That(result.TopicPartition, Is.EqualTo(new TopicPartition("orders", 1)));
                Assert.That(result.Timestamp, Is.EqualTo(T0.AddSeconds(i)), "the delivery's timestamp is the message's");
                offsets.Add(result.Offset);
            }
        }
        Assert.That(offsets, Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)));

        await using IConsumer<int, string> consumer = Clients.CreateConsumer<int, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(new TopicPartition("orders", 1), Offset.Beginning)]);
        List<ConsumeResult<int, string>> read = await ConsumeCount(consumer, 10);
        for (int i = 0; i < 10; i++)
        {
            ConsumeResult<int, string> r = read[i];
            Assert.That((r.Offset, r.Message.Key, r.Message.Value, r.Message.Timestamp), Is.EqualTo(((long)i, i, $"v{i}", (DateTimeOffset?)T0.AddSeconds(i))));
            Assert.That(r.Message.Headers!.Select(h => (h.Key, h.Value)), Is.EqualTo(new[] { ("trace", (byte[]?)[(byte)i]), ("empty", null) }));
        }
    }

    [TestCase(CompressionType.None, Acks.All)]
    [TestCase(CompressionType.Gzip, Acks.Leader)]
    [TestCase(CompressionType.Snappy, Acks.All)]
    [TestCase(CompressionType.Lz4, Acks.All)]
    [TestCase(CompressionType.Zstd, Acks.None)]
    public async Task ProduceAsync_CompressionAndAcks_NullKeysAndTombstonesRoundTrip(CompressionType compression, Acks acks)
    {
        await CreateTopic("compacted");
        await using (IProducer<string?, string?> producer = Clients.CreateProducer<string?, string?>(new ProducerOptions { Compression = compression, Acks = acks }))
        {
            producer.Produce("compacted", new Message<string?, string?> { Key = null, Value = "no key" });
            producer.Produce("compacted", new Message<string?, string?> { Key = "gone", Value = null });
            producer.Produce("compacted", new Message<string?, string?> { Key = "k", Value = new string('z', 5000) });
            await producer.FlushAsync(Deadline);
        }
        await using IConsumer<string?, string?> consumer = Clients.CreateConsumer<string?, string?>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(new TopicPartition("compacted", 0), Offset.Beginning)]);
        List<ConsumeResult<string?, string?>> read = await ConsumeCount(consumer, 3);
        Assert.That(read.Select(r => (r.Message.Key, r.Message.Value?.Length)), Is.EqualTo(new (string?, int?)[] { (null, 6), ("gone", null), ("k", 5000) }));
        Assert.That(read.Select(r => r.Message.Headers), Is.All.Null, "no headers: null, as embedded");
    }

    [Test]
    public async Task Produce_WithHandler_ReportsEveryMessageWithItsOffsetAndInstance()
    {
        await CreateTopic("events");
        var reports = new List<DeliveryReport<string, string>>();
        var messages = Enumerable.Range(0, 20).Select(i => new Message<string, string> { Key = $"k{i}", Value = $"v{i}" }).ToList();
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
        {
            foreach (Message<string, string> message in messages)
                producer.Produce("events", message, r => { lock (reports) reports.Add(r); });
            await producer.FlushAsync(Deadline);
            lock (reports)
                Assert.That(reports, Has.Count.EqualTo(20), "every report arrived by the flush");
        }
        Assert.That(reports.Select(r => r.Error), Is.All.Null);
        Assert.That(reports.Select(r => r.Offset).Order(), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (long)i)));
        Assert.That(reports.All(r => ReferenceEquals(r.Message, messages[(int)r.Offset])), "each report carries the message given");
    }

    [Test]
    public async Task ProduceAsync_UnknownTopic_ThrowsUnknownTopicException()
    {
        await using IProducer<string, string> producer = Clients.CreateProducer<string, string>();
        var e = Assert.ThrowsAsync<UnknownTopicException>(async () =>
            await producer.ProduceAsync("missing", new Message<string, string> { Key = "k", Value = "v" }, Deadline));
        Assert.That(e!.Topic, Is.EqualTo("missing"));
        Assert.That(Broker.TryGetTopic("missing", out _), Is.False, "producing does not create the topic");
    }

    [Test]
    public async Task Produce_UnknownPartition_ReportsUnknownTopicException()
    {
        await CreateTopic("small", partitions: 2);
        await using IProducer<string, string> producer = Clients.CreateProducer<string, string>();
        var e = Assert.ThrowsAsync<UnknownTopicException>(async () =>
            await producer.ProduceAsync(new TopicPartition("small", 5), new Message<string, string> { Key = "k", Value = "v" }, Deadline));
        Assert.That(e!.Topic, Is.EqualTo("small"));
    }

    [Test]
    public async Task ProduceAsync_MessageAboveMaxMessageBytes_ThrowsRecordTooLargeAndKeepsTheTopic()
    {
        await CreateTopic("limited", maxMessageBytes: 1024);
        await using IProducer<string, string> producer = Clients.CreateProducer<string, string>();
        var e = Assert.ThrowsAsync<RecordTooLargeException>(async () =>
            await producer.ProduceAsync("limited", new Message<string, string> { Key = "k", Value = new string('x', 4000) }, Deadline));
        Assert.That(e!.TopicPartition.Topic, Is.EqualTo("limited"));
        DeliveryResult ok = await producer.ProduceAsync("limited", new Message<string, string> { Key = "k", Value = "small" }, Deadline);
        Assert.That(ok.Offset, Is.Zero, "nothing of the refused message was written");
    }

    [Test]
    public async Task Produce_SerializerThrows_ThrowsProduceExceptionAndWritesNothing()
    {
        await CreateTopic("events");
        await using IProducer<string, string> producer = Clients.CreateProducer(new ProducerOptions(), Serializers.Utf8, new ThrowingSerializer());
        var e = Assert.Throws<ProduceException>(() => producer.Produce("events", new Message<string, string> { Key = "k", Value = "v" }));
        Assert.That(e!.InnerException, Is.TypeOf<FormatException>());
        await producer.FlushAsync(Deadline);
        Assert.That(Broker.Topics.Single(t => t.Name == "events").Partitions[0].LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task ProduceAsync_SameKey_LandsOnTheSamePartitionInBothModes()
    {
        // murmur2 like Kafka's Java client and the embedded producer: a key's partition does not change with the mode,
        // so data moved from embedded to a cluster stays where its keys say.
        await CreateTopic("keyed", partitions: 6);
        await using IProducer<string, string> producer = Clients.CreateProducer<string, string>();
        var partitions = new List<int>();
        foreach (string key in new[] { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta" })
            partitions.Add((await producer.ProduceAsync("keyed", new Message<string, string> { Key = key, Value = "v" }, Deadline)).TopicPartition.Partition);
        Assert.That(partitions, Is.EqualTo(ExpectedMurmur2Partitions), $"{Mode}");
    }

    // Kafka's Utils.toPositive(Utils.murmur2(key)) % 6 for the keys above, as the Java client computes them.
    private static readonly int[] ExpectedMurmur2Partitions = Murmur2Partitions(["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"], 6);

    private static int[] Murmur2Partitions(string[] keys, int count) =>
        [.. keys.Select(k => (Murmur2(Encoding.UTF8.GetBytes(k)) & 0x7fffffff) % count)];

    private static int Murmur2(byte[] data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        uint h = 0x9747b28c ^ (uint)data.Length;
        int length4 = data.Length / 4;
        for (int i = 0; i < length4; i++)
        {
            int i4 = i * 4;
            uint k = (uint)(data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length4 * 4;
        switch (data.Length % 4)
        {
            case 3: h ^= (uint)data[tail + 2] << 16; goto case 2;
            case 2: h ^= (uint)data[tail + 1] << 8; goto case 1;
            case 1: h ^= data[tail]; h *= m; break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }

    private sealed class ThrowingSerializer : ISerializer<string>
    {
        public void Serialize(string value, System.Buffers.IBufferWriter<byte> output) => throw new FormatException("refused");
    }
}
