using LogStore.Kafka.Tests.TestSupport;

namespace LogStore.Kafka.Tests;

/// <summary>IConsumer's contract outside groups, embedded and through Confluent.Kafka: positions, seek, seek by
/// timestamp, watermarks, deserializer errors and unknown topics.</summary>
[TestFixture(ClientMode.Embedded)]
[TestFixture(ClientMode.Kafka)]
[NonParallelizable]
public sealed class ConsumerContractTests(ClientMode mode) : ContractFixture(mode)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TopicPartition Events = new("events", 0);

    [SetUp]
    public async Task ProduceTen()
    {
        await CreateTopic("events");
        await using IProducer<string, string> producer = Clients.CreateProducer<string, string>();
        for (int i = 0; i < 10; i++)
            await producer.ProduceAsync(Events, new Message<string, string> { Key = $"k{i}", Value = $"v{i}", Timestamp = T0.AddMinutes(i) }, Deadline);
    }

    [Test]
    public async Task Seek_ToAnOffset_NextRecordIsThatOffsetAndPositionFollows()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning)]);
        List<ConsumeResult<string, string>> first = await ConsumeCount(consumer, 2);
        Assert.That(first.Select(r => r.Offset), Is.EqualTo(new long[] { 0, 1 }));
        Assert.That(consumer.Position(Events), Is.EqualTo(2));

        consumer.Seek(new TopicPartitionOffset(Events, 6));
        List<ConsumeResult<string, string>> after = await ConsumeCount(consumer, 2);
        Assert.That(after.Select(r => r.Message.Value), Is.EqualTo(new[] { "v6", "v7" }));
        Assert.That(consumer.Position(Events), Is.EqualTo(8));
    }

    [TestCase(3L, 3L)]
    [TestCase(Offset.Beginning, 0L)]
    [TestCase(Offset.End, 10L)]
    public async Task Position_BeforeAnyConsume_IsWhereTheFirstFetchStarts(long assigned, long expected)
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, assigned)]);
        Assert.That(consumer.Position(Events), Is.EqualTo(expected));
        consumer.Seek(new TopicPartitionOffset(Events, 7));
        Assert.That(consumer.Position(Events), Is.EqualTo(7), "a seek moves it before any fetch too");
    }

    [Test]
    public async Task Seek_RightAfterAssign_StartsThere()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning)]);
        consumer.Seek(new TopicPartitionOffset(Events, 8));
        List<ConsumeResult<string, string>> read = await ConsumeCount(consumer, 2);
        Assert.That(read.Select(r => r.Offset), Is.EqualTo(new long[] { 8, 9 }));
    }

    [Test]
    public async Task OffsetsForTimes_FindsTheFirstRecordAtOrAfterAndEndWhenNone()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning)]);
        Assert.That(consumer.OffsetForTimestamp(Events, T0.AddMinutes(7)), Is.EqualTo(7));
        Assert.That(consumer.OffsetForTimestamp(Events, T0.AddMinutes(6).AddSeconds(1)), Is.EqualTo(7), "the first one after");
        Assert.That(consumer.OffsetForTimestamp(Events, T0.AddHours(1)), Is.Null, "none at or after");

        List<TopicPartitionOffset> found = consumer.OffsetsForTimes([new TopicPartitionTimestamp(Events, T0.AddMinutes(3))], TimeSpan.FromSeconds(5));
        Assert.That(found, Is.EqualTo(new[] { new TopicPartitionOffset(Events, 3) }));
        List<TopicPartitionOffset> none = consumer.OffsetsForTimes([new TopicPartitionTimestamp(Events, T0.AddHours(1))], TimeSpan.FromSeconds(5));
        Assert.That(none, Is.EqualTo(new[] { new TopicPartitionOffset(Events, Offset.End) }));

        consumer.Seek(found[0]);
        Assert.That((await ConsumeCount(consumer, 1))[0].Message.Timestamp, Is.EqualTo(T0.AddMinutes(3)));
    }

    [Test]
    public async Task Watermarks_FollowProducesAndDeleteRecords()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning)]);
        Assert.That(consumer.QueryWatermarkOffsets(Events, TimeSpan.FromSeconds(5)), Is.EqualTo(new WatermarkOffsets(0, 10)));

        long start = await Clients.DeleteRecordsAsync(Events, 4, Deadline);
        Assert.That(start, Is.EqualTo(4));
        Assert.That(consumer.GetWatermarkOffsets(Events), Is.EqualTo(new WatermarkOffsets(4, 10)));
        Assert.That((await ConsumeCount(consumer, 1))[0].Offset, Is.EqualTo(4), "Beginning is the new log start");
    }

    [Test]
    public async Task ConsumeAsync_DeserializerThrows_ThrowsConsumeExceptionAndGoesOn()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer(new ConsumerOptions(), Deserializers.Utf8, new FailingOn("v1"));
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning)]);
        Assert.That((await ConsumeCount(consumer, 1))[0].Offset, Is.Zero);
        ConsumeException? failure = null;
        ConsumeResult<string, string>? next = null;
        while (next is null && !Deadline.IsCancellationRequested)
        {
            try
            {
                next = await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(200), Deadline);
            }
            catch (ConsumeException e)
            {
                failure = e;
            }
        }
        Assert.That(failure, Is.Not.Null, "the bad record's exception reached the caller");
        Assert.That((failure!.Record.Offset, failure.IsKey), Is.EqualTo((1L, false)));
        Assert.That(failure.InnerException, Is.TypeOf<FormatException>());
        Assert.That(next!.Offset, Is.EqualTo(2), "the next call went on with the following record");
    }

    [Test]
    public void Subscribe_UnknownTopic_ThrowsUnknownTopicException()
    {
        IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(GroupOptions("g"));
        try
        {
            var e = Assert.Throws<UnknownTopicException>(() => consumer.Subscribe(["missing"]));
            Assert.That(e!.Topic, Is.EqualTo("missing"));
        }
        finally
        {
            consumer.DisposeAsync().AsTask().Wait(Deadline);
        }
    }

    [Test]
    public async Task PartitionEof_WhenEnabled_ReportsTheEndOnce()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions { EnablePartitionEof = true });
        consumer.Assign([new TopicPartitionOffset(Events, 8)]);
        List<ConsumeResult<string, string>> read = await ConsumeCount(consumer, 3);
        Assert.That(read.Select(r => (r.Offset, r.IsPartitionEOF)), Is.EqualTo(new[] { (8L, false), (9L, false), (10L, true) }));
    }

    [Test]
    public async Task PauseResume_PausedPartitionReturnsNothingUntilResumed()
    {
        await CreateTopic("other");
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
            await producer.ProduceAsync("other", new Message<string, string> { Key = "o", Value = "other" }, Deadline);
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning), new TopicPartitionOffset(new TopicPartition("other", 0), Offset.Beginning)]);
        consumer.Pause([Events]);
        List<ConsumeResult<string, string>> first = await ConsumeCount(consumer, 1);
        Assert.That(first[0].Topic, Is.EqualTo("other"));
        Assert.That(await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(300), Deadline), Is.Null, "the paused partition gives nothing");
        consumer.Resume([Events]);
        Assert.That((await ConsumeCount(consumer, 10)).Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)));
    }

    [Test]
    public async Task IncrementalAssignAndUnassign_ChangeOnlyThosePartitions()
    {
        await CreateTopic("other");
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(new TopicPartition("other", 0), Offset.Beginning)]);
        consumer.IncrementalAssign([new TopicPartitionOffset(Events, 5)]);
        Assert.That(consumer.Assignment, Is.EquivalentTo(new[] { new TopicPartition("other", 0), Events }));
        Assert.That((await ConsumeCount(consumer, 5)).Select(r => r.Offset), Is.EqualTo(new long[] { 5, 6, 7, 8, 9 }));
        consumer.IncrementalUnassign([Events]);
        Assert.That(consumer.Assignment, Is.EqualTo(new[] { new TopicPartition("other", 0) }));
    }

    [Test]
    public async Task Assign_StoredWithoutGroupAndLatest_StartsAtTheEnd()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions { AutoOffsetReset = AutoOffsetReset.Latest });
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Stored)]);
        Assert.That(await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(300), Deadline), Is.Null, "nothing before the end");
        await using (IProducer<string, string> producer = Clients.CreateProducer<string, string>())
            await producer.ProduceAsync(Events, new Message<string, string> { Key = "new", Value = "new" }, Deadline);
        Assert.That((await ConsumeCount(consumer, 1))[0].Offset, Is.EqualTo(10));
    }

    [Test]
    public async Task ConsumeAllAsync_YieldsRecordsUntilCancelled()
    {
        await using IConsumer<string, string> consumer = Clients.CreateConsumer<string, string>(new ConsumerOptions());
        consumer.Assign([new TopicPartitionOffset(Events, Offset.Beginning)]);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Deadline);
        var values = new List<string>();
        Assert.CatchAsync<OperationCanceledException>(async () =>
        {
            await foreach (ConsumeResult<string, string> result in consumer.ConsumeAllAsync(stop.Token))
            {
                values.Add(result.Message.Value);
                if (values.Count == 10)
                    await stop.CancelAsync();
            }
        });
        Assert.That(values, Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"v{i}")));
    }

    private sealed class FailingOn(string bad) : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull)
        {
            string value = System.Text.Encoding.UTF8.GetString(data);
            return value == bad ? throw new FormatException("bad value") : value;
        }
    }
}
