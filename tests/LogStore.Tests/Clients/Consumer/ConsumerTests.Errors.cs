using LogStore.Tests.TestSupport;
using static LogStore.Tests.Clients.ConsumerTestSupport;

namespace LogStore.Tests.Clients;

public sealed partial class ConsumerTests
{
    [Test]
    public async Task Assign_UnknownTopicOrPartition_ThrowsUnknownTopic()
    {
        await Topic(partitions: 2);
        await using IConsumer<string, string> consumer = Create();

        var unknownTopic = Assert.Throws<UnknownTopicException>(() => consumer.Assign([new TopicPartitionOffset(new TopicPartition("nope", 0), 0)]));
        var unknownPartition = Assert.Throws<UnknownTopicException>(() => consumer.Assign([new TopicPartitionOffset(new TopicPartition("t", 2), 0)]));

        Assert.That(unknownTopic!.Topic, Is.EqualTo("nope"));
        Assert.That(unknownPartition!.Partition, Is.EqualTo(2));
        Assert.Throws<UnknownTopicException>(() => consumer.OffsetForTimestamp(new TopicPartition("nope", 0), DateTimeOffset.UnixEpoch));
    }

    [Test]
    public async Task Subscribe_UnknownTopic_ThrowsUnknownTopic()
    {
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { GroupId = "g" });
        Assert.Throws<UnknownTopicException>(() => consumer.Subscribe(["nope"]));
    }

    [Test]
    public async Task ConsumeAsync_TopicDeleted_ThrowsUnknownTopic()
    {
        Partition p = (await Topic()).Partitions[0];
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        await _broker.DeleteTopicAsync("t");

        Assert.That(async () => await consumer.ConsumeAsync(TimeSpan.Zero), Throws.InstanceOf<UnknownTopicException>());
    }

    [Test]
    public async Task AssignAndSubscribe_Combined_ThrowInvalidOperation()
    {
        Partition p = (await Topic()).Partitions[0];
        await using IConsumer<string, string> assigned = Create(new ConsumerOptions { GroupId = "g" });
        await using IConsumer<string, string> subscribed = Create(new ConsumerOptions { GroupId = "g" });
        await using IConsumer<string, string> groupless = Create();
        assigned.Assign([new TopicPartitionOffset(p.Id, 0)]);
        subscribed.Subscribe(["t"]);

        Assert.That(() => assigned.Subscribe(["t"]), Throws.InvalidOperationException.With.Message.Contains("Unsubscribe"));
        Assert.That(() => subscribed.Assign([new TopicPartitionOffset(p.Id, 0)]), Throws.InvalidOperationException.With.Message.Contains("Unsubscribe"));
        Assert.That(() => groupless.Subscribe(["t"]), Throws.InvalidOperationException.With.Message.Contains("GroupId"));
        Assert.That(() => groupless.Commit(), Throws.InvalidOperationException.With.Message.Contains("GroupId"));
        Assert.That(() => assigned.Seek(new TopicPartitionOffset(new TopicPartition("t", 5), 0)), Throws.InvalidOperationException);
        Assert.That(async () => await groupless.ConsumeAsync(TimeSpan.Zero), Throws.InvalidOperationException);

        assigned.Unsubscribe();
        assigned.Subscribe(["t"]);
        Assert.That(assigned.Assignment, Is.Empty, "partitions come with the next poll");
    }

    [Test]
    public async Task ConsumeAsync_DeserializerThrows_SurfacesAsConsumeExceptionNamingTheRecord_AndTheNextPollGoesOn()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 5);
        // v0 comes through a fresh fetch (the slow path), v2 from the buffered one (the synchronous fast path).
        var failing = new FailingDeserializer("v0", "v2");
        await using IConsumer<string, string> consumer = _broker.CreateConsumer(new ConsumerOptions(), Deserializers.Utf8, failing);
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        var outcomes = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            try
            {
                ConsumeResult<string, string>? result = await consumer.ConsumeAsync(TimeSpan.Zero);
                outcomes.Add($"{result!.Offset}:{result.Message.Value}");
            }
            catch (ConsumeException e) when (e.InnerException is FormatException inner && !e.IsKey)
            {
                outcomes.Add($"{e.Record.TopicPartition}@{e.Record.Offset}: {inner.Message}");
            }
        }

        Assert.That(outcomes, Is.EqualTo(new[] { $"{p.Id}@0: bad v0", "1:v1", $"{p.Id}@2: bad v2", "3:v3", "4:v4" }));
        Assert.That(consumer.Position(p.Id), Is.EqualTo(5));
    }

    private sealed class FailingDeserializer(params string[] failOn) : IDeserializer<string>
    {
        public string Deserialize(ReadOnlySpan<byte> data, bool isNull)
        {
            string value = System.Text.Encoding.UTF8.GetString(data);
            return failOn.Contains(value) ? throw new FormatException($"bad {value}") : value;
        }
    }

    [Test]
    public async Task AfterDispose_EveryCall_ThrowsObjectDisposed()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 3);
        IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        await consumer.ConsumeAsync(TimeSpan.Zero);
        await consumer.DisposeAsync();
        await consumer.DisposeAsync();

        Assert.That(async () => await consumer.ConsumeAsync(TimeSpan.Zero), Throws.InstanceOf<ObjectDisposedException>());
        Assert.Throws<ObjectDisposedException>(() => consumer.Position(p.Id));
        Assert.Throws<ObjectDisposedException>(() => consumer.Assign([new TopicPartitionOffset(p.Id, 0)]));
        Assert.Throws<ObjectDisposedException>(() => consumer.Seek(new TopicPartitionOffset(p.Id, 0)));
    }

    [Test]
    public async Task ConsumeAsync_CorruptBatchOnDisk_ThrowsCorruptRecordUntilSoughtPast()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 5);
        await Append(p, 5, 5);
        await p.FlushAsync();
        CorruptFirstBatchOfFive(p);
        await using IConsumer<string, string> consumer = Create();
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);

        Assert.That(async () => await consumer.ConsumeAsync(TimeSpan.Zero), Throws.InstanceOf<CorruptRecordException>());
        Assert.That(async () => await consumer.ConsumeAsync(TimeSpan.Zero), Throws.InstanceOf<CorruptRecordException>());
        Assert.That(consumer.Position(p.Id), Is.EqualTo(0));
        consumer.Seek(new TopicPartitionOffset(p.Id, 5));
        Assert.That((await Drain(consumer)).Select(r => r.Offset), Is.EqualTo(new long[] { 5, 6, 7, 8, 9 }));
    }

    [TestCase(AutoOffsetReset.Earliest, 0)]
    [TestCase(AutoOffsetReset.Latest, 10)]
    public async Task AutoOffsetReset_NoCommittedOffset_StartsAtTheLogStartOrEnd(AutoOffsetReset reset, long expected)
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { GroupId = "g", AutoOffsetReset = reset });
        consumer.Assign([new TopicPartitionOffset(p.Id, -1001)]);

        Assert.That(consumer.Position(p.Id), Is.EqualTo(expected));
        await Append(p, 10, 1);
        Assert.That((await consumer.ConsumeAsync(TimeSpan.Zero))!.Offset, Is.EqualTo(expected));
    }

    [Test]
    public async Task AutoOffsetReset_Error_ThrowsOffsetOutOfRangeWithoutACommittedOffset()
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { GroupId = "g", AutoOffsetReset = AutoOffsetReset.Error });
        consumer.Assign([new TopicPartitionOffset(p.Id, -1001)]);

        var error = Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await consumer.ConsumeAsync(TimeSpan.Zero));
        Assert.That(error!.TopicPartition, Is.EqualTo(p.Id));
        consumer.Seek(new TopicPartitionOffset(p.Id, 8));
        Assert.That((await consumer.ConsumeAsync(TimeSpan.Zero))!.Offset, Is.EqualTo(8));
    }

    [TestCase(AutoOffsetReset.Earliest, 0L)]
    [TestCase(AutoOffsetReset.Latest, 10L)]
    [TestCase(AutoOffsetReset.Error, -1L)]
    public async Task AutoOffsetReset_PositionBeyondTheLogEnd_AppliesThePolicy(AutoOffsetReset reset, long expected)
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions { AutoOffsetReset = reset });
        consumer.Assign([new TopicPartitionOffset(p.Id, 50)]);

        if (reset == AutoOffsetReset.Error)
        {
            Assert.That(async () => await consumer.ConsumeAsync(TimeSpan.Zero), Throws.InstanceOf<OffsetOutOfRangeException>());
            return;
        }
        await consumer.ConsumeAsync(TimeSpan.Zero);
        Assert.That(consumer.Position(p.Id), Is.EqualTo(expected == 0 ? 1 : expected));
    }

    [TestCase(AutoOffsetReset.Earliest, 6L)]
    [TestCase(AutoOffsetReset.Latest, 10L)]
    [TestCase(AutoOffsetReset.Error, -1L)]
    public async Task AutoOffsetReset_CommittedOffsetBelowTheLogStart_AppliesThePolicy(AutoOffsetReset reset, long expected)
    {
        Partition p = (await Topic()).Partitions[0];
        await Append(p, 0, 10);
        var options = new ConsumerOptions { GroupId = "g", AutoOffsetReset = reset, EnableAutoCommit = false };
        await using (IConsumer<string, string> committer = Create(options))
            committer.Commit([new TopicPartitionOffset(p.Id, 3)]);
        p.Log.DeleteRecordsBefore(6);
        await using IConsumer<string, string> consumer = Create(options);
        consumer.Assign([new TopicPartitionOffset(p.Id, -1001)]);

        if (reset == AutoOffsetReset.Error)
        {
            var error = Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => await consumer.ConsumeAsync(TimeSpan.Zero));
            Assert.That((error!.Offset, error.LogStartOffset), Is.EqualTo((3L, 6L)));
            return;
        }
        Assert.That(consumer.Position(p.Id), Is.EqualTo(expected));
        Assert.That((await Drain(consumer)).Select(r => r.Offset), Is.EqualTo(Enumerable.Range((int)expected, 10 - (int)expected).Select(i => (long)i)));
    }

    [Test]
    public async Task Consume_LogStartPassesThePositionWhileConsuming_ResetsToTheNewStart()
    {
        Partition p = (await Topic()).Partitions[0];
        for (int i = 0; i < 4; i++)
            await Append(p, i * 5, 5);
        await using IConsumer<string, string> consumer = Create(new ConsumerOptions
        {
            AutoOffsetReset = AutoOffsetReset.Earliest,
            MaxPartitionFetchBytes = 1, // one batch per fetch
            FetchMaxBytes = 1, // and no read-ahead
        });
        consumer.Assign([new TopicPartitionOffset(p.Id, 0)]);
        for (int i = 0; i < 5; i++)
            await consumer.ConsumeAsync(TimeSpan.Zero);

        p.Log.DeleteRecordsBefore(12);

        Assert.That((await Drain(consumer)).Select(r => r.Offset), Is.EqualTo(Enumerable.Range(12, 8).Select(i => (long)i)));
    }
}
