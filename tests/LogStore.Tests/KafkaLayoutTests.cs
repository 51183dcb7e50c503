using System.Text.Json;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Segments written through the public API are Kafka's files, byte for byte.</summary>
[TestFixture]
public sealed class KafkaLayoutTests
{
    private static string Vector(string name) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "testdata", "kafka-record-batches", name);

    [Test]
    public async Task Segment_WrittenThroughThePublicApi_EqualsKafkasLogIndexAndTimeIndex()
    {
        using var dir = new TempDirectory();
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Vector("segment-3-batches.json")));
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }))
        {
            Topic topic = await broker.CreateTopicAsync("vectors", new TopicConfig { IndexIntervalBytes = 0 });
            foreach (JsonElement batch in json.RootElement.GetProperty("batchContents").EnumerateArray())
            {
                using var builder = new RecordBatchBuilder { PartitionLeaderEpoch = 0 };
                foreach (JsonElement r in batch.GetProperty("records").EnumerateArray())
                {
                    builder.Append(r.GetProperty("timestamp").GetInt64(),
                        Convert.FromBase64String(r.GetProperty("keyBase64").GetString()!),
                        Convert.FromBase64String(r.GetProperty("valueBase64").GetString()!));
                }
                await topic.Partitions[0].AppendAsync(builder.Build());
            }
        }
        string segment = dir.Combine("vectors-0", "00000000000000000000");
        Assert.That(File.ReadAllBytes(segment + ".log"), Is.EqualTo(File.ReadAllBytes(Vector("segment-3-batches.log"))));
        Assert.That(File.ReadAllBytes(segment + ".index"), Is.EqualTo(File.ReadAllBytes(Vector("segment-3-batches.index"))));
        Assert.That(File.ReadAllBytes(segment + ".timeindex"), Is.EqualTo(File.ReadAllBytes(Vector("segment-3-batches.timeindex"))));
    }

    [Test]
    public async Task Segment_FromKafka_IsReadByOffsetAndTimestamp()
    {
        using var dir = new TempDirectory();
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }))
            await broker.CreateTopicAsync("vectors", new TopicConfig { IndexIntervalBytes = 0 });
        string segment = dir.Combine("vectors-0", "00000000000000000000");
        File.Copy(Vector("segment-3-batches.log"), segment + ".log", overwrite: true);
        File.Copy(Vector("segment-3-batches.index"), segment + ".index", overwrite: true);
        File.Copy(Vector("segment-3-batches.timeindex"), segment + ".timeindex", overwrite: true);

        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }))
        {
            broker.TryGetTopic("vectors", out Topic? topic);
            Partition p = topic!.Partitions[0];
            Assert.That(p.LogEndOffset, Is.EqualTo(30));
            var records = await Batches.ReadAll(p, 13);
            Assert.That(records.Select(r => r.Offset).First(), Is.EqualTo(13));
            Assert.That(records.Select(r => r.Value).Last(), Is.EqualTo("record 29"));
            Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(1700000001005)), Is.EqualTo(15));
            Assert.That(p.OffsetForTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(1700000002000)), Is.EqualTo(20));
        }
    }
}
