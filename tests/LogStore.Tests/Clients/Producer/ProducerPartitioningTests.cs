using System.Collections.Concurrent;
using System.Text;

namespace LogStore.Tests.Clients.Producer;

[TestFixture]
public sealed class ProducerPartitioningTests : ProducerFixture
{
    [Test]
    public async Task Produce_Key_LandsInKafkasMurmur2Partition()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 7 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        var results = new List<(string Key, ValueTask<DeliveryResult> Delivery)>();
        foreach (string key in new[] { "21", "foobar", "abc", "a-little-bit-long-string" }.Concat(Enumerable.Range(0, 200).Select(i => $"user-{i}")))
            results.Add((key, producer.ProduceAsync("t", new Message<string, string> { Key = key, Value = "v" })));
        await producer.FlushAsync();

        var partitions = new List<int>();
        foreach (var (key, delivery) in results)
        {
            int expected = (Murmur2.Hash(Encoding.UTF8.GetBytes(key)) & 0x7fffffff) % 7;
            partitions.Add((await delivery).TopicPartition.Partition);
            Assert.That(partitions[^1], Is.EqualTo(expected), key);
        }

        // Anchored to Java's own hash values (Kafka's UtilsTest), not only to our Murmur2.
        Assert.That(partitions[1], Is.EqualTo((-790332482 & 0x7fffffff) % 7));
        Assert.That(partitions[2], Is.EqualTo((479470107 & 0x7fffffff) % 7));
    }

    [Test]
    public async Task Produce_NullKeys_StickToAPartitionUntilItsBatchIsSealed()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 4 });
        await using IProducer<Null, byte[]> producer = broker.CreateProducer<Null, byte[]>(
            new ProducerOptions { BatchSize = 1024, Linger = TimeSpan.FromHours(1) });
        var deliveries = Enumerable.Range(0, 200)
            .Select(_ => producer.ProduceAsync("t", new Message<Null, byte[]> { Value = new byte[100] })).ToList();
        await producer.FlushAsync();
        DeliveryResult[] results = [.. deliveries.Select(d => d.Result)];

        // Runs of one partition, each the size of a full batch (9 records of ~110 bytes in 1 KiB), then a switch.
        var runs = new List<(int Partition, int Length)>();
        foreach (DeliveryResult result in results)
        {
            if (runs.Count > 0 && runs[^1].Partition == result.TopicPartition.Partition)
                runs[^1] = (runs[^1].Partition, runs[^1].Length + 1);
            else
                runs.Add((result.TopicPartition.Partition, 1));
        }
        Assert.That(runs.Take(runs.Count - 1).Select(r => r.Length), Is.All.EqualTo(runs[0].Length));
        Assert.That(runs[0].Length, Is.InRange(8, 9));
        Assert.That(results.Select(r => r.TopicPartition.Partition).Distinct().Count(), Is.GreaterThan(1), "moves on after each batch");
    }

    [Test]
    public async Task Produce_CustomPartitioner_ChoosesThePartition()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(
            new ProducerOptions { Partitioner = new RoundRobinPartitioner() });
        var deliveries = Enumerable.Range(0, 6).Select(i => producer.ProduceAsync("t", new Message<string, string> { Key = "same", Value = $"{i}" })).ToList();
        await producer.FlushAsync();

        Assert.That(deliveries.Select(d => d.Result.TopicPartition.Partition), Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2 }));
        Assert.That(topic.Partitions.Select(p => p.LogEndOffset), Is.All.EqualTo(2));
    }

    [Test]
    public async Task Produce_FourConcurrentTasks_KeepEachTasksOrderPerPartition()
    {
        const int PerTask = 5000;
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(
            new ProducerOptions { BatchSize = 4096, Linger = TimeSpan.Zero });
        var errors = new ConcurrentQueue<Exception>();
        Task[] tasks = [.. Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerTask; i++)
            {
                producer.Produce("t", new Message<string, string> { Key = $"task{t}-key{i % 5}", Value = $"{t}:{i}" },
                    r => { if (r.Error is not null) errors.Enqueue(r.Error); });
            }
        }))];
        await Task.WhenAll(tasks).WaitAsync(Guard);
        await producer.FlushAsync().AsTask().WaitAsync(Guard);

        Assert.That(errors, Is.Empty);
        long total = 0;
        foreach (Partition partition in topic.Partitions)
        {
            var lastPerKey = new Dictionary<string, int>();
            foreach (StoredRecord record in (await StoredRecords.ReadAll(partition)).Records)
            {
                string key = Encoding.UTF8.GetString(record.Key!);
                int sequence = int.Parse(Encoding.UTF8.GetString(record.Value!).Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
                Assert.That(sequence, Is.GreaterThan(lastPerKey.GetValueOrDefault(key, -1)), $"{key} out of order in {partition}");
                lastPerKey[key] = sequence;
                total++;
            }
        }
        Assert.That(total, Is.EqualTo(4 * PerTask));
    }
}
