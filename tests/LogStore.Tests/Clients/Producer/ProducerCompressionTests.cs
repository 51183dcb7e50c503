using System.Text;

namespace LogStore.Tests.Clients.Producer;

[TestFixture]
public sealed class ProducerCompressionTests : ProducerFixture
{
    private static readonly string[] Levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
    private static readonly string[] Services = ["checkout", "payments", "inventory", "search", "auth"];
    private static readonly string[] Messages =
    [
        "request completed",
        "cache miss, loading from database",
        "user session refreshed",
        "retrying downstream call after timeout",
        "order state changed",
    ];

    /// <summary>JSON log lines as a service writes them: fixed keys, a few values repeating, ids and times varying.</summary>
    private static string LogLine(Random random, int i) =>
        $"{{\"ts\":\"2024-05-01T12:{i / 60000 % 60:D2}:{i / 1000 % 60:D2}.{i % 1000:D3}Z\",\"level\":\"{Levels[random.Next(Levels.Length)]}\"," +
        $"\"service\":\"{Services[random.Next(Services.Length)]}\",\"traceId\":\"{random.Next():x8}{random.Next():x8}\"," +
        $"\"userId\":{random.Next(100_000)},\"latencyMs\":{random.Next(2000)},\"message\":\"{Messages[random.Next(Messages.Length)]}\"," +
        $"\"http\":{{\"method\":\"GET\",\"path\":\"/api/v1/orders/{random.Next(10_000)}\",\"status\":{(random.Next(20) == 0 ? 500 : 200)}}}}}";

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public async Task Produce_EveryCodec_StoresCompressedBatches_ThatReadBack(CompressionType codec)
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        var random = new Random(42);
        string[] lines = [.. Enumerable.Range(0, 2000).Select(i => LogLine(random, i))];
        await using (IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Compression = codec }))
        {
            var headers = new Headers { { "h", [1] } };
            for (int i = 0; i < lines.Length; i++)
                producer.Produce("t", new Message<string, string> { Key = $"k{i}", Value = lines[i], Headers = i % 7 == 0 ? headers : null });
            await producer.FlushAsync();
        }

        var (records, codecs, bytes) = await StoredRecords.ReadAll(topic.Partitions[0]);
        Assert.That(codecs, Is.All.EqualTo(codec));
        Assert.That(codecs, Has.Count.GreaterThan(1), "several batches");
        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, lines.Length).Select(i => (long)i)));
        Assert.That(records.Select(r => Encoding.UTF8.GetString(r.Value!)), Is.EqualTo(lines));
        Assert.That(records.Select(r => Encoding.UTF8.GetString(r.Key!)), Is.EqualTo(Enumerable.Range(0, lines.Length).Select(i => $"k{i}")));
        Assert.That(records.Where((r, i) => i % 7 == 0).Select(r => r.Headers.Single().Key), Is.All.EqualTo("h"));
        long raw = lines.Sum(l => (long)Encoding.UTF8.GetByteCount(l));
        if (codec != CompressionType.None)
            Assert.That(bytes, Is.LessThan(raw), $"{codec} shrinks JSON");
    }

    [Test]
    public async Task Zstd_JsonLogLines_TakeAtMostAQuarterOfTheirSizeOnDisk()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        var random = new Random(7);
        long raw = 0;
        await using (IProducer<Null, string> producer = broker.CreateProducer<Null, string>(new ProducerOptions { Compression = CompressionType.Zstd }))
        {
            var message = new Message<Null, string>();
            for (int i = 0; i < 20_000; i++)
            {
                message.Value = LogLine(random, i);
                raw += Encoding.UTF8.GetByteCount(message.Value);
                producer.Produce("t", message);
            }
            await producer.FlushAsync();
        }
        await broker.FlushAsync();

        long onDisk = topic.Partitions[0].Segments.Sum(s => s.SizeInBytes);
        TestContext.Out.WriteLine($"zstd: {raw} bytes of JSON → {onDisk} bytes on disk ({(double)raw / onDisk:F1}×)");
        Assert.That(onDisk * 4, Is.LessThanOrEqualTo(raw));
    }
}
