using System.Buffers.Binary;
using LogStore.Tests.Records;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary>The timestamp checks on append (Kafka's LogValidator and KIP-937's bounds), through the public API.</summary>
[TestFixture]
public sealed class LogValidatorTests : BrokerFixture
{
    private long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = Dir.Path,
        TimeProvider = Time,
        RetentionCheckInterval = TimeSpan.FromDays(365),
    });

    private static async Task<Partition> CreatePartition(Broker broker, TopicConfig? config = null) =>
        (await broker.CreateTopicAsync("t", config ?? new TopicConfig())).Partitions[0];

    /// <summary>One batch with a record at each of <paramref name="timestamps"/>, in order.</summary>
    private static RecordBatch Batch(CompressionType compression, TimestampType type, params long[] timestamps)
    {
        using var builder = new RecordBatchBuilder(compression) { TimestampType = type };
        foreach (long timestamp in timestamps)
            builder.Append(timestamp, [1], [2]);
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    private static RecordBatch Batch(params long[] timestamps) => Batch(CompressionType.None, TimestampType.CreateTime, timestamps);

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Zstd)]
    public async Task AppendAsync_NegativeRecordTimestamp_ThrowsInvalidTimestampAndAppendsNothing(CompressionType compression)
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        await p.AppendAsync(Batch(Now));

        // The negative one is neither the first record (the base timestamp) nor the largest (the max timestamp).
        var e = Assert.ThrowsAsync<InvalidTimestampException>(async () =>
            await p.AppendAsync(Batch(compression, TimestampType.CreateTime, Now, -1000, Now + 1)));
        Assert.That(e!.Timestamp, Is.EqualTo(-1000));
        Assert.That(e.TopicPartition, Is.EqualTo(new TopicPartition("t", 0)));
        Assert.That(e.Message, Does.Contain("-1000").And.Contain("t-0"));
        Assert.ThrowsAsync<InvalidTimestampException>(async () => await p.AppendAsync(Batch(-1)), "Kafka's 'no timestamp' too");
        Assert.That(p.LogEndOffset, Is.EqualTo(1));
    }

    [Test]
    public async Task AppendAsync_NegativeTimestampAcknowledged_WasDeletedByTheNextRetentionCheck_NowRefused()
    {
        // Before the fix the batch was acknowledged, and the next retention check deleted it: its segment's largest
        // timestamp, -1000, is 7 days older than any clock after 1970.
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { RetentionTime = TimeSpan.FromDays(7) });
        long end = -1;
        try
        {
            end = (await p.AppendAsync(Batch(-1000))).LastOffset + 1;
        }
        catch (InvalidTimestampException)
        {
        }
        int deleted = broker.Retention.RunOnce();

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.Zero, "retention deleted a segment");
            Assert.That(p.LogStartOffset, Is.Zero, "retention moved the log start past an acknowledged record");
            Assert.That(end, Is.EqualTo(-1), "the negative timestamp was acknowledged");
            Assert.That(p.LogEndOffset, Is.Zero);
        });
    }

    [Test]
    public async Task AppendAsync_MaxTimestampBelowALaterRecord_ThrowsCorruptRecord()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        byte[] lying = Batch(Now, Now + 1000).Memory.ToArray();
        BinaryPrimitives.WriteInt64BigEndian(lying.AsSpan(35), Now);
        RawBatch.FixCrc(lying);

        Assert.ThrowsAsync<CorruptRecordException>(async () => await p.AppendAsync(RecordBatch.Parse(lying)));
        Assert.That(p.LogEndOffset, Is.Zero);
    }

    [Test]
    public async Task AppendAsync_TimestampTooFarAhead_ThrowsInvalidTimestamp_AndOneAtTheBoundIsAccepted()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { MessageTimestampAfterMax = TimeSpan.FromMinutes(10) });
        long bound = Now + (long)TimeSpan.FromMinutes(10).TotalMilliseconds;

        await p.AppendAsync(Batch(bound));
        var e = Assert.ThrowsAsync<InvalidTimestampException>(async () => await p.AppendAsync(Batch(Now, bound + 1)));
        Assert.That(e!.Timestamp, Is.EqualTo(bound + 1));
        Assert.That(e.Message, Does.Contain("message.timestamp.after.max.ms"));

        // The clock catches up: the same batch is now within the bound.
        Time.Advance(TimeSpan.FromMilliseconds(1));
        await p.AppendAsync(Batch(Now, bound + 1));
        Assert.That(p.LogEndOffset, Is.EqualTo(3));
    }

    [Test]
    public async Task AppendAsync_DefaultAfterBound_RefusesTheYear3000()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker);
        long year3000 = new DateTimeOffset(3000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

        Assert.That(new TopicConfig().MessageTimestampAfterMax, Is.EqualTo(TimeSpan.FromHours(1)));
        Assert.ThrowsAsync<InvalidTimestampException>(async () => await p.AppendAsync(Batch(year3000)));
        await p.AppendAsync(Batch(Now + (long)TimeSpan.FromMinutes(59).TotalMilliseconds));
        Assert.That(p.LogEndOffset, Is.EqualTo(1));
    }

    [Test]
    public async Task AppendAsync_TimestampTooOld_ThrowsInvalidTimestamp_EvenWhenNotTheFirstRecord()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig { MessageTimestampBeforeMax = TimeSpan.FromDays(1) });
        long bound = Now - (long)TimeSpan.FromDays(1).TotalMilliseconds;

        await p.AppendAsync(Batch(Now, bound));
        var e = Assert.ThrowsAsync<InvalidTimestampException>(async () => await p.AppendAsync(Batch(Now, bound - 1, Now)));
        Assert.That(e!.Timestamp, Is.EqualTo(bound - 1));
        Assert.That(e.Message, Does.Contain("message.timestamp.before.max.ms"));
        Assert.That(p.LogEndOffset, Is.EqualTo(2));
    }

    [Test]
    public async Task AppendAsync_LogAppendTimeBatch_IgnoresTheBoundsAndItsOwnTimestamps()
    {
        await using Broker broker = await Open();
        Partition p = await CreatePartition(broker, new TopicConfig
        {
            MessageTimestampBeforeMax = TimeSpan.Zero,
            MessageTimestampAfterMax = TimeSpan.Zero,
        });
        long year3000 = new DateTimeOffset(3000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

        AppendResult result = await p.AppendAsync(Batch(CompressionType.None, TimestampType.LogAppendTime, -5, year3000));
        Assert.That(result.LogAppendTime, Is.EqualTo(Time.GetUtcNow()));
        var records = await Batches.ReadAll(p);
        Assert.That(records.Select(r => r.Timestamp), Is.EqualTo(new[] { Now, Now }));
        Assert.ThrowsAsync<InvalidTimestampException>(async () => await p.AppendAsync(Batch(Now + 1)), "a CreateTime batch is checked");
    }

    [Test]
    public async Task Producer_TimestampOutsideTheBounds_FailsItsBatchWithInvalidTimestamp()
    {
        await using Broker broker = await Open();
        await CreatePartition(broker, new TopicConfig
        {
            MessageTimestampBeforeMax = TimeSpan.FromHours(1),
            MessageTimestampAfterMax = TimeSpan.FromHours(1),
        });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
        DateTimeOffset now = Time.GetUtcNow();
        var reports = new List<DeliveryReport>();
        foreach (DateTimeOffset timestamp in new[] { now.AddMinutes(-59), now.AddHours(2), now.AddHours(-2) })
        {
            // One batch each: a flush seals the open batch.
            producer.Produce("t", new Message<string, string> { Value = "v", Timestamp = timestamp }, r => { lock (reports) reports.Add(r); });
            await producer.FlushAsync();
        }

        lock (reports)
        {
            Assert.That(reports[0].Error, Is.Null);
            Assert.That(reports[0].Offset, Is.Zero);
            Assert.That(reports[1].Error, Is.InstanceOf<InvalidTimestampException>());
            Assert.That(((InvalidTimestampException)reports[1].Error!).Timestamp, Is.EqualTo(now.AddHours(2).ToUnixTimeMilliseconds()));
            Assert.That(reports[2].Error, Is.InstanceOf<InvalidTimestampException>());
        }
        Assert.That(broker.Topics.Single().Partitions[0].LogEndOffset, Is.EqualTo(1));

        // In one batch, an old record behind a current one (the batch's first timestamp) fails the batch too.
        var batched = new List<DeliveryReport>();
        producer.Produce("t", new Message<string, string> { Value = "v", Timestamp = now }, r => { lock (batched) batched.Add(r); });
        producer.Produce("t", new Message<string, string> { Value = "v", Timestamp = now.AddHours(-2) }, r => { lock (batched) batched.Add(r); });
        await producer.FlushAsync();
        lock (batched)
            Assert.That(batched.Select(r => r.Error?.GetType()), Is.EqualTo(new[] { typeof(InvalidTimestampException), typeof(InvalidTimestampException) }));
        Assert.That(broker.Topics.Single().Partitions[0].LogEndOffset, Is.EqualTo(1));
    }
}
