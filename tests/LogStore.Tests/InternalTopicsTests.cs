using System.Reflection;
using LogStore.Clients.Groups;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Issue 18 item 3 (and issue 17 bug 5): internal topics are written only by LogStore itself, cannot be
/// created or deleted by users, and keep their compaction whatever their configuration file says.</summary>
[TestFixture]
public sealed class InternalTopicsTests : BrokerFixture
{
    private static readonly TopicPartition Orders = new("orders", 0);

    private ValueTask<Broker> Open(CapturingLoggerFactory? logs = null) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, LoggerFactory = logs });

    private static OffsetStore Offsets(Broker broker) => GroupCoordinator.For(broker).Offsets;

    private static Message<string, string> Message(string value) => new() { Key = "k", Value = value };

    [TestCase(InternalTopics.ConsumerOffsets)]
    [TestCase(InternalTopics.TransactionState)]
    [TestCase(InternalTopics.ShareGroupState)]
    [TestCase(InternalTopics.ClusterMetadata)]
    public async Task CreateTopicAsync_InternalName_ThrowsInvalidTopicAndCreatesNothing(string name)
    {
        await using Broker broker = await Open();

        var created = Assert.ThrowsAsync<InvalidTopicException>(async () =>
            await broker.CreateTopicAsync(name, new TopicConfig { CleanupPolicy = CleanupPolicy.Delete, RetentionTime = TimeSpan.FromMilliseconds(1) }));
        var gotOrCreated = Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.GetOrCreateTopicAsync(name));

        Assert.That(created!.IsInternalTopic && gotOrCreated!.IsInternalTopic, Is.True);
        Assert.That(created.Topic, Is.EqualTo(name));
        Assert.That(created.Message, Does.Contain($"Cannot create internal topic '{name}'"));
        Assert.That(Directory.EnumerateFileSystemEntries(Dir.Path).Select(Path.GetFileName), Is.EquivalentTo(new[] { ".lock" }));
    }

    [Test]
    public async Task CreateTopicAsync_NameOnlyStartingWithTwoUnderscores_IsAUserTopic()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("__audit");
        Assert.That(topic.IsInternal, Is.False);
        await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 1)));
    }

    [Test]
    public async Task DeleteTopicAsync_ConsumerOffsets_ThrowsInvalidTopicAndGroupsKeepCommitting()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("orders");
        Offsets(broker).Commit("g", [(Orders, 5)]);

        var e = Assert.ThrowsAsync<InvalidTopicException>(async () => await broker.DeleteTopicAsync(InternalTopics.ConsumerOffsets));

        Assert.That(e!.IsInternalTopic, Is.True);
        Assert.That(e.Message, Does.Contain("Cannot delete internal topic '__consumer_offsets'").And.Contain("committed offsets"));
        Offsets(broker).Commit("g", [(Orders, 6)]);
        Assert.That(Offsets(broker).Get("g", Orders), Is.EqualTo(6));
        Assert.That(broker.TryGetTopic(InternalTopics.ConsumerOffsets, out Topic? offsets) && offsets.IsInternal, Is.True);
    }

    [Test]
    public async Task ProduceAsync_ToConsumerOffsets_ThrowsInvalidTopicAndANewGroupStillSubscribesAfterReopen()
    {
        await using (Broker broker = await Open())
        {
            await broker.CreateTopicAsync("orders");
            Offsets(broker).Commit("g", [(Orders, 1)]);
            await using IProducer<string, string> producer = broker.CreateProducer<string, string>();

            var byTopic = Assert.ThrowsAsync<InvalidTopicException>(async () => await producer.ProduceAsync(InternalTopics.ConsumerOffsets, Message("x")));
            var byPartition = Assert.ThrowsAsync<InvalidTopicException>(async () =>
                await producer.ProduceAsync(new TopicPartition(InternalTopics.ConsumerOffsets, 0), Message("x")));
            DeliveryReport? report = null;
            producer.Produce(InternalTopics.ConsumerOffsets, Message("x"), r => report = r);
            await producer.FlushAsync();

            Assert.That(byTopic!.Message, Does.Contain("Cannot produce to internal topic '__consumer_offsets'"));
            Assert.That(byPartition!.IsInternalTopic, Is.True);
            Assert.That(report?.Error, Is.TypeOf<InvalidTopicException>());
            Assert.That(broker.Topics.Single(t => t.IsInternal).Partitions.Sum(p => p.LogEndOffset), Is.EqualTo(1), "only the commit");
        }

        await using (Broker broker = await Open())
        {
            await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "new" });
            consumer.Subscribe(["orders"]);
            Assert.That(Offsets(broker).Get("g", Orders), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task AppendAsync_OnAConsumerOffsetsPartition_ThrowsInvalidTopicWhileTheCoordinatorStillWrites()
    {
        await using Broker broker = await Open();
        Offsets(broker).Commit("g", [(Orders, 3)]);
        Partition partition = broker.Topics.Single(t => t.IsInternal).Partitions[0];
        long end = partition.LogEndOffset;

        var e = Assert.ThrowsAsync<InvalidTopicException>(async () => await partition.AppendAsync(Batches.Batch(Batches.Make(0, 1))));
        var many = Assert.ThrowsAsync<InvalidTopicException>(async () => await partition.AppendAsync(new[] { Batches.Batch(Batches.Make(0, 1)) }));

        Assert.That(many!.IsInternalTopic, Is.True);
        Assert.That(e!.Topic, Is.EqualTo(InternalTopics.ConsumerOffsets));
        Assert.That(e.Message, Does.Contain("Cannot append to internal topic"));
        Assert.That(partition.LogEndOffset, Is.EqualTo(end));
        Offsets(broker).Commit("g", [(Orders, 4)]);
        Assert.That(Offsets(broker).Get("g", Orders), Is.EqualTo(4));
    }

    [Test]
    public async Task OpenAsync_ConsumerOffsetsConfigSaysDeleteAfterOneMillisecond_KeepsItCompactedAndLogsTheOverride()
    {
        await using (Broker broker = await Open())
            Offsets(broker).Commit("g", [(Orders, 3)]);
        string file = Dir.Combine("topic-configs", "__consumer_offsets.conf");
        string edited = File.ReadAllText(file)
            .Replace("cleanup.policy=compact", "cleanup.policy=delete", StringComparison.Ordinal)
            .Replace("retention.ms=\n", "retention.ms=1\n", StringComparison.Ordinal)
            .Replace("retention.bytes=\n", "retention.bytes=0\n", StringComparison.Ordinal);
        File.WriteAllText(file, edited);
        var logs = new CapturingLoggerFactory();

        await using (Broker broker = await Open(logs))
        {
            Topic offsets = broker.Topics.Single(t => t.IsInternal);
            Assert.That((offsets.Config.CleanupPolicy, offsets.Config.RetentionTime, offsets.Config.RetentionBytes),
                Is.EqualTo((CleanupPolicy.Compact, (TimeSpan?)null, (long?)null)));
            Assert.That(offsets.Partitions[0].Log.Config.CleanupPolicy, Is.EqualTo(CleanupPolicy.Compact), "the partitions run with it");
            Assert.That(offsets.Config.Partitions, Is.EqualTo(OffsetStore.PartitionCount), "other settings come from the file");
            Assert.That(logs.WithId(1303).Single().Message, Does.Contain(file).And.Contain("cleanup.policy=Delete"));
            Assert.That(Offsets(broker).Get("g", Orders), Is.EqualTo(3));
        }
        Assert.That(File.ReadAllText(file), Is.EqualTo(edited), "the file is the operator's: left as it is");
    }

    [Test]
    public void Enforce_ACompliantConfig_IsKeptAndAnyOtherKeepsEverySettingButCleanupAndRetention()
    {
        TopicConfig compliant = InternalTopics.CreationConfig(InternalTopics.ConsumerOffsets);
        Assert.That(InternalTopics.Enforce(compliant), Is.SameAs(compliant));

        // Every public setting set to a non-default value, so that a setting the copy forgets shows up here.
        var odd = new TopicConfig
        {
            Partitions = 7, ReplicationFactor = 2, SegmentBytes = 12345, SegmentRollTime = TimeSpan.FromMinutes(3),
            IndexIntervalBytes = 99, SegmentIndexBytes = 4096, RetentionTime = TimeSpan.FromMilliseconds(1), RetentionBytes = 5,
            CleanupPolicy = CleanupPolicy.Delete, DeleteRetentionTime = TimeSpan.FromHours(2), MinCleanableDirtyRatio = 0.25,
            MaxMessageBytes = 777, FlushMessages = 3, FlushInterval = TimeSpan.FromSeconds(4),
        };
        TopicConfig enforced = InternalTopics.Enforce(odd);

        Assert.That((enforced.CleanupPolicy, enforced.RetentionTime, enforced.RetentionBytes), Is.EqualTo((CleanupPolicy.Compact, (TimeSpan?)null, (long?)null)));
        string[] overridden = [nameof(TopicConfig.CleanupPolicy), nameof(TopicConfig.RetentionTime), nameof(TopicConfig.RetentionBytes)];
        foreach (PropertyInfo property in typeof(TopicConfig).GetProperties().Where(p => !overridden.Contains(p.Name)))
            Assert.That(property.GetValue(enforced), Is.EqualTo(property.GetValue(odd)), $"InternalTopics.Enforce must copy TopicConfig.{property.Name}");
    }
}
