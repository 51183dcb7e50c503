using System.Text;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients;

[TestFixture]
public sealed partial class ConsumerTests
{
    private TempDirectory _dir = null!;
    private FakeTimeProvider _time = null!;
    private Broker _broker = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory();
        _time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        _broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, TimeProvider = _time });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _broker.DisposeAsync();
        _dir.Dispose();
    }

    private IConsumer<string, string> Create(ConsumerOptions? options = null) =>
        _broker.CreateConsumer<string, string>(options ?? new ConsumerOptions());

    private async Task<Topic> Topic(int partitions = 1, long segmentBytes = 1L << 30, string name = "t") =>
        await _broker.CreateTopicAsync(name, new TopicConfig { Partitions = partitions, SegmentBytes = segmentBytes });

    [Test]
    public async Task Assign_FromOffset_ReturnsRecordsInOrderWithKeyValueTimestamp()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 5);
        await Append(p, 5, 5);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 3)]);

        List<ConsumeResult<string, string>> results = await Drain(consumer);

        Assert.That(results.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(3, 7).Select(i => (long)i)));
        Assert.That(results.Select(r => r.Message.Key), Is.EqualTo(Enumerable.Range(3, 7).Select(i => $"k{i}")));
        Assert.That(results.Select(r => r.Message.Value), Is.EqualTo(Enumerable.Range(3, 7).Select(i => $"v{i}")));
        Assert.That(results[0].Message.Timestamp, Is.EqualTo(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 3)));
        Assert.That(results.All(r => r.TopicPartition == p.Id && r.Message.Headers is null), Is.True);
        Assert.That(consumer.Assignment, Is.EqualTo(new[] { p.Id }));
    }

    [Test]
    public async Task Position_AfterEachRecord_IsTheNextOffset()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 4);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        Assert.That(consumer.Position(p.Id), Is.EqualTo(0));
        ConsumeResult<string, string>? first = await consumer.ConsumeAsync(TimeSpan.Zero);
        Assert.That((first!.Offset, consumer.Position(p.Id)), Is.EqualTo((0L, 1L)));
        await Drain(consumer);
        Assert.That(consumer.Position(p.Id), Is.EqualTo(4));
    }

    [Test]
    public async Task Seek_Backwards_RereadsFromThere()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        await consumer.ConsumeAsync(TimeSpan.Zero);
        await consumer.ConsumeAsync(TimeSpan.Zero);

        consumer.Seek(new TopicPartitionOffset(p.Id, 7));
        Assert.That((await Drain(consumer)).Select(r => r.Offset), Is.EqualTo(new long[] { 7, 8, 9 }));
        consumer.Seek(new TopicPartitionOffset(p.Id, 1));
        Assert.That((await consumer.ConsumeAsync(TimeSpan.Zero))!.Offset, Is.EqualTo(1));
        Assert.That(consumer.Position(p.Id), Is.EqualTo(2));
    }

    [Test]
    public async Task Seek_SpecialOffsets_GoToLogStartAndEnd()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 5);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, -2)]);
        Assert.That(consumer.Position(p.Id), Is.EqualTo(0));

        consumer.Seek(new TopicPartitionOffset(p.Id, -1));
        Assert.That(consumer.Position(p.Id), Is.EqualTo(5));
        Assert.That(await consumer.ConsumeAsync(TimeSpan.Zero), Is.Null);
        Assert.Throws<ArgumentOutOfRangeException>(() => consumer.Seek(new TopicPartitionOffset(p.Id, -7)));
    }

    [Test]
    public async Task Consume_AcrossSegmentBoundaries_ReturnsEveryRecordOnce()
    {
        byte[] sample = Batches.Make(0, 10);
        Partition p = (await Topic(segmentBytes: sample.Length * 2)).Partitions[0];
        for (int i = 0; i < 10; i++)
            await Append(p, i * 10, 10);
        Assert.That(p.Segments, Has.Count.GreaterThan(3));
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { MaxPartitionFetchBytes = sample.Length });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        List<ConsumeResult<string, string>> results = await Drain(consumer);

        Assert.That(results.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 100).Select(i => (long)i)));
    }

    [TestCase(CompressionType.Zstd)]
    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.None)]
    public async Task Consume_StartingMidBatch_SkipsRecordsBelowThePosition(CompressionType compression)
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10, compression);
        await Append(p, 10, 10, compression);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 13)]);

        List<ConsumeResult<string, string>> results = await Drain(consumer);

        Assert.That(results.Select(r => r.Message.Value), Is.EqualTo(Enumerable.Range(13, 7).Select(i => $"v{i}")));
        consumer.Seek(new TopicPartitionOffset(p.Id, 4));
        Assert.That((await consumer.ConsumeAsync(TimeSpan.Zero))!.Message.Key, Is.EqualTo("k4"));
    }

    [Test]
    public async Task Consume_SmallFetches_ReadsAheadAndReturnsEverything()
    {
        Partition p = (await Topic()).Partitions[0];
        for (int i = 0; i < 50; i++)
            await Append(p, i * 20, 20, i % 2 == 0 ? CompressionType.None : CompressionType.Zstd);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { MaxPartitionFetchBytes = 100, FetchMaxBytes = 1000 });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        List<ConsumeResult<string, string>> results = await Drain(consumer);

        Assert.That(results.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 1000).Select(i => (long)i)));
    }

    [Test]
    public async Task Consume_SeveralPartitions_TakesTurnsOfMaxPollRecords()
    {
        Topic topic = await Topic(partitions: 3);
        foreach (Partition p in topic.Partitions)
            await Append(p, p.Id.Partition * 100, 6);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { MaxPollRecords = 2 });
        consumer.Assign(topic.Partitions.Select(p => new TopicPartitionOffset(p.Id, 0)));

        List<ConsumeResult<string, string>> results = await Drain(consumer);

        Assert.That(results.Select(r => r.TopicPartition.Partition), Is.EqualTo(new[] { 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2 }));
        foreach (var group in results.GroupBy(r => r.TopicPartition))
            Assert.That(group.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 6).Select(i => (long)i)));
    }

    [Test]
    public async Task Consume_RecordWithHeadersAndNulls_MapsThemToTheMessage()
    {
        Partition p = (await Topic()).Partitions[0];
        using (var builder = new RecordBatchBuilder())
        {
            builder.Append(Batches.BaseTime, default, "x"u8, [new Header("h1", [1, 2]), new Header("h2", null), new Header("h1", [3])], keyIsNull: true);
            builder.Append(Batches.BaseTime, "k"u8, default, valueIsNull: true);
            await p.AppendAsync(builder.Build());
        }
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        List<ConsumeResult<string, string>> results = await Drain(consumer);

        Headers headers = results[0].Message.Headers!;
        Assert.That(headers.Select(h => h.Key), Is.EqualTo(new[] { "h1", "h2", "h1" }));
        Assert.That(headers[0].Value, Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(headers[1].Value, Is.Null);
        Assert.That((results[0].Message.Key, results[0].Message.Value), Is.EqualTo(((string?)null, "x")));
        Assert.That((results[1].Message.Key, results[1].Message.Value), Is.EqualTo(("k", (string?)null)));
    }

    [Test]
    public async Task CreateConsumer_DefaultDeserializers_ReadIntsAndBytes()
    {
        Partition p = (await Topic()).Partitions[0];
        using (var builder = new RecordBatchBuilder())
        {
            builder.Append(Batches.BaseTime, new byte[] { 0, 0, 1, 2 }, Encoding.UTF8.GetBytes("abc"));
            await p.AppendAsync(builder.Build());
        }
        await using IConsumer<int, byte[]> consumer = _broker.CreateConsumer<int, byte[]>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        ConsumeResult<int, byte[]>? result = await consumer.ConsumeAsync(TimeSpan.Zero);

        Assert.That((result!.Message.Key, result.Message.Value), Is.EqualTo((258, "abc"u8.ToArray())));
        Assert.Throws<ArgumentException>(() => _broker.CreateConsumer<Guid, string>(new ConsumerOptions()));
    }

    [Test]
    public async Task OffsetForTimestamp_DelegatesToThePartition()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10, timestamp: Batches.BaseTime);
        await using IConsumer<string, string> consumer = Create();

        Assert.That(consumer.OffsetForTimestamp(p.Id, DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 4)), Is.EqualTo(4));
        Assert.That(consumer.OffsetForTimestamp(p.Id, DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime + 100)), Is.Null);
    }
}
