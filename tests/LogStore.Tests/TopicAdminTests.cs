using System.Text;
using LogStore.Records;
using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary><see cref="Broker.AlterTopicConfigAsync"/> and <see cref="Broker.CreatePartitionsAsync"/>: validated as the
/// configuration file is, persisted atomically, applied to running partitions and producers, all or nothing.</summary>
[TestFixture]
public sealed class TopicAdminTests : BrokerFixture
{
    private ValueTask<Broker> Open(FileSystem? files = null, TopicConfig? defaults = null) => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = Dir.Path,
        TimeProvider = Time,
        RetentionCheckInterval = TimeSpan.FromDays(365),
        FileSystem = files ?? FileSystem.Disk,
        DefaultTopicConfig = defaults ?? new TopicConfig(),
    });

    private string ConfigFile(string topic) => Dir.Combine("topic-configs", topic + ".conf");

    private static Dictionary<string, string?> Changes(params (string Name, string? Value)[] changes) =>
        changes.ToDictionary(c => c.Name, c => c.Value);

    private static RecordBatch Batch(int valueBytes)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(Batches.BaseTime, "k"u8, new byte[valueBytes]);
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    [Test]
    public async Task AlterTopicConfigAsync_KafkaNames_PersistedAndKeptAtReopen()
    {
        await using (Broker broker = await Open())
        {
            await broker.CreateTopicAsync("t");
            Topic topic = await broker.AlterTopicConfigAsync("t", Changes(("retention.ms", "60000"), ("cleanup.policy", "compact,delete"),
                ("retention.bytes", "-1"), ("flush.messages", "10")));

            Assert.That(topic.Config.RetentionTime, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(topic.Config.CleanupPolicy, Is.EqualTo(CleanupPolicy.CompactAndDelete));
            Assert.That(topic.Config.FlushMessages, Is.EqualTo(10));
            Assert.That(topic.Partitions[0].Log.Config, Is.SameAs(topic.Config), "the running partition has it");
        }
        await using Broker reopened = await Open();
        TopicConfig config = reopened.Topics.Single().Config;
        Assert.That((config.RetentionTime, config.CleanupPolicy, config.RetentionBytes, config.FlushMessages),
            Is.EqualTo((TimeSpan.FromMinutes(1), CleanupPolicy.CompactAndDelete, (long?)null, (long?)10)));
        Assert.That(Directory.EnumerateFiles(Dir.Combine("topic-configs")), Is.EquivalentTo(new[] { ConfigFile("t") }), "no temporary file left");
    }

    [Test]
    public async Task AlterTopicConfigAsync_NullValue_PutsTheBrokerDefaultBack()
    {
        await using Broker broker = await Open(defaults: new TopicConfig { RetentionTime = TimeSpan.FromHours(5) });
        await broker.CreateTopicAsync("t", new TopicConfig { RetentionTime = TimeSpan.FromHours(1), SegmentBytes = 4096 });

        Topic topic = await broker.AlterTopicConfigAsync("t", Changes(("retention.ms", null)));

        Assert.That(topic.Config.RetentionTime, Is.EqualTo(TimeSpan.FromHours(5)));
        Assert.That(topic.Config.SegmentBytes, Is.EqualTo(4096), "the others are kept");
    }

    [TestCase("retention.mss", "1000")]
    [TestCase("segment.bytes", "abc")]
    [TestCase("segment.bytes", "10")]
    [TestCase("cleanup.policy", "forever")]
    [TestCase("retention.ms", "0")]
    [TestCase("min.cleanable.dirty.ratio", "1.5")]
    [TestCase("segment.ms", "99999999999999999")]
    [TestCase("partitions", "3")]
    [TestCase("replication.factor", "3")]
    public async Task AlterTopicConfigAsync_UnknownNameOrBadValue_ThrowsNamingTheKeyAndChangesNothing(string name, string value)
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        TopicConfig before = topic.Config;
        string file = File.ReadAllText(ConfigFile("t"));

        var e = Assert.ThrowsAsync<InvalidConfigurationException>(async () =>
            await broker.AlterTopicConfigAsync("t", Changes(("retention.bytes", "5000"), (name, value))));

        Assert.That(e!.ConfigName, Is.EqualTo(name));
        Assert.That(e.Topic, Is.EqualTo("t"));
        Assert.That(e.Message, Does.Contain(name));
        Assert.That(topic.Config, Is.SameAs(before));
        Assert.That(File.ReadAllText(ConfigFile("t")), Is.EqualTo(file));
        if (name == "partitions")
            Assert.That(e.Message, Does.Contain(nameof(Broker.CreatePartitionsAsync)));
    }

    [Test]
    public async Task AlterTopicConfigAsync_UnknownTopicOrInternalRetention_Refused()
    {
        await using Broker broker = await Open();
        Topic offsets = await broker.GetOrCreateInternalTopicAsync(InternalTopics.ConsumerOffsets);

        Assert.ThrowsAsync<UnknownTopicException>(async () => await broker.AlterTopicConfigAsync("missing", Changes(("retention.ms", "1"))));
        Assert.ThrowsAsync<InvalidTopicException>(async () =>
            await broker.AlterTopicConfigAsync(offsets.Name, Changes(("cleanup.policy", "delete"))));
        Assert.ThrowsAsync<InvalidTopicException>(async () =>
            await broker.AlterTopicConfigAsync(offsets.Name, Changes(("retention.ms", "1000"))));
        Topic altered = await broker.AlterTopicConfigAsync(offsets.Name, Changes(("segment.bytes", "1048576")));
        Assert.That((altered.Config.CleanupPolicy, altered.Config.SegmentBytes), Is.EqualTo((CleanupPolicy.Compact, 1048576L)));
    }

    [Test]
    public async Task AlterTopicConfigAsync_MaxMessageBytes_AppliesToTheRunningPartitionAndProducer()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t");
        await using IProducer<string, byte[]> producer = broker.CreateProducer<string, byte[]>(new ProducerOptions { Linger = TimeSpan.Zero });
        await topic.Partitions[0].AppendAsync(Batch(2000));
        await producer.ProduceAsync("t", new Message<string, byte[]> { Value = new byte[2000] });

        await broker.AlterTopicConfigAsync("t", Changes(("max.message.bytes", "1000")));

        Assert.ThrowsAsync<RecordTooLargeException>(async () => await topic.Partitions[0].AppendAsync(Batch(2000)));
        var refused = Assert.ThrowsAsync<RecordTooLargeException>(async () =>
            await producer.ProduceAsync("t", new Message<string, byte[]> { Value = new byte[2000] }));
        Assert.That(refused!.MaxMessageBytes, Is.EqualTo(1000));
        DeliveryResult small = await producer.ProduceAsync("t", new Message<string, byte[]> { Value = new byte[100] });
        Assert.That(small.Offset, Is.EqualTo(2));
    }

    [Test]
    public async Task AlterTopicConfigAsync_SegmentBytes_RollsTheRunningPartition()
    {
        await using Broker broker = await Open();
        Partition partition = (await broker.CreateTopicAsync("t")).Partitions[0];
        for (int i = 0; i < 4; i++)
            await partition.AppendAsync(Batch(500));
        Assert.That(partition.Segments, Has.Count.EqualTo(1));

        await broker.AlterTopicConfigAsync("t", Changes(("segment.bytes", "1024")));
        for (int i = 0; i < 4; i++)
            await partition.AppendAsync(Batch(500));

        Assert.That(partition.Segments, Has.Count.GreaterThan(2));
    }

    [Test]
    public async Task AlterTopicConfigAsync_RetentionMs_AppliesToTheNextRetentionCheck()
    {
        await using Broker broker = await Open();
        Partition partition = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = 1024 })).Partitions[0];
        for (int i = 0; i < 6; i++)
            await partition.AppendAsync(Batch(500));
        Time.Advance(TimeSpan.FromHours(2));
        broker.Retention.RunOnce();
        int before = partition.Segments.Count;

        await broker.AlterTopicConfigAsync("t", Changes(("retention.ms", "3600000")));
        broker.Retention.RunOnce();

        Assert.That(before, Is.GreaterThan(2), "the default seven days kept them");
        Assert.That(partition.Segments, Has.Count.EqualTo(1), "all but the active segment are older than an hour");
    }

    [Test]
    public async Task CreatePartitionsAsync_Grows_WritablePersistedAndSeenByARunningProducer()
    {
        await using (Broker broker = await Open())
        {
            Topic topic = await broker.CreateTopicAsync("t");
            await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Linger = TimeSpan.Zero });
            await producer.ProduceAsync("t", new Message<string, string> { Key = "k0", Value = "v" });

            Topic grown = await broker.CreatePartitionsAsync("t", 4);

            Assert.That(grown, Is.SameAs(topic));
            Assert.That(topic.Partitions.Select(p => p.Id.Partition), Is.EqualTo(new[] { 0, 1, 2, 3 }));
            Assert.That(topic.Config.Partitions, Is.EqualTo(4));
            var used = new HashSet<int>();
            for (int i = 0; i < 64; i++)
                used.Add((await producer.ProduceAsync("t", new Message<string, string> { Key = $"k{i}", Value = "v" })).TopicPartition.Partition);
            Assert.That(used, Is.EquivalentTo(new[] { 0, 1, 2, 3 }), "the partitioner spreads keys over the new count");
            Assert.That((await producer.ProduceAsync(new TopicPartition("t", 3), new Message<string, string> { Value = "x" })).TopicPartition.Partition, Is.EqualTo(3));
        }
        await using Broker reopened = await Open();
        Topic again = reopened.Topics.Single();
        Assert.That(again.Partitions, Has.Count.EqualTo(4));
        Assert.That(again.Partitions.Sum(p => p.LogEndOffset), Is.EqualTo(66));
    }

    [TestCase(2)]
    [TestCase(1)]
    [TestCase(TopicConfig.MaxPartitions + 1)]
    public async Task CreatePartitionsAsync_NotLargerOrPastTheBound_ThrowsInvalidPartitions(int total)
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });

        var e = Assert.ThrowsAsync<InvalidPartitionsException>(async () => await broker.CreatePartitionsAsync("t", total));

        Assert.That((e!.Topic, e.CurrentCount, e.RequestedCount), Is.EqualTo(("t", 2, total)));
        Assert.That(topic.Partitions, Has.Count.EqualTo(2));
        Assert.That(File.ReadAllText(ConfigFile("t")), Does.Contain("partitions=2\n"));
    }

    [Test]
    public async Task CreatePartitionsAsync_UnknownOrInternalTopic_Refused()
    {
        await using Broker broker = await Open();
        Topic offsets = await broker.GetOrCreateInternalTopicAsync(InternalTopics.ConsumerOffsets);

        Assert.ThrowsAsync<UnknownTopicException>(async () => await broker.CreatePartitionsAsync("missing", 2));
        Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.CreatePartitionsAsync(offsets.Name, offsets.Partitions.Count + 1));
    }

    [Test]
    public async Task AlterAndCreatePartitions_ReadOnlyBroker_RefusedAndNothingWritten()
    {
        await using (Broker writer = await Open())
            await writer.CreateTopicAsync("t");
        string file = File.ReadAllText(ConfigFile("t"));
        await using Broker reader = await Broker.OpenReadOnlyAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

        Assert.ThrowsAsync<StoreReadOnlyException>(async () => await reader.AlterTopicConfigAsync("t", Changes(("retention.ms", "1000"))));
        Assert.ThrowsAsync<StoreReadOnlyException>(async () => await reader.CreatePartitionsAsync("t", 2));

        Assert.That(File.ReadAllText(ConfigFile("t")), Is.EqualTo(file));
        Assert.That(Directory.Exists(Dir.Combine("t-1")), Is.False);
    }
}
