using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary>The topic config files (<c>topic-configs/&lt;topic&gt;.conf</c>, Kafka's names) through a broker's open and create.</summary>
[TestFixture]
public sealed class TopicConfigStoreTests : BrokerFixture
{
    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time });

    private string ConfigFile => Dir.Combine("topic-configs", "t.conf");

    [Test]
    public async Task Save_TimestampBounds_RoundTripUnderKafkasNames()
    {
        var config = new TopicConfig { MessageTimestampBeforeMax = TimeSpan.FromDays(2), MessageTimestampAfterMax = null };
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t", config);

        string[] lines = File.ReadAllLines(ConfigFile);
        Assert.That(lines, Does.Contain("message.timestamp.before.max.ms=172800000"));
        Assert.That(lines, Does.Contain("message.timestamp.after.max.ms=9223372036854775807"), "no bound is Kafka's Long.MAX_VALUE");
        await using (Broker broker = await Open())
        {
            Assert.That(broker.TryGetTopic("t", out Topic? topic), Is.True);
            Assert.That(topic!.Config, Is.EqualTo(config).UsingPropertiesComparer());
        }
    }

    [Test]
    public async Task Read_FileWithoutTimestampBounds_GetsTheDefaults()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t", new TopicConfig { MessageTimestampBeforeMax = TimeSpan.FromDays(2) });
        File.WriteAllLines(ConfigFile, File.ReadAllLines(ConfigFile).Where(l => !l.StartsWith("message.timestamp.", StringComparison.Ordinal)));

        await using Broker reopened = await Open();
        Assert.That(reopened.TryGetTopic("t", out Topic? topic), Is.True);
        Assert.That(topic!.Config.MessageTimestampBeforeMax, Is.Null);
        Assert.That(topic.Config.MessageTimestampAfterMax, Is.EqualTo(TimeSpan.FromHours(1)));
    }

    [TestCase("message.timestamp.before.max.ms", "-1")]
    [TestCase("message.timestamp.after.max.ms", "-5")]
    [TestCase("message.timestamp.after.max.ms", "-9223372036854775808")]
    [TestCase("message.timestamp.after.max.ms", "soon")]
    public async Task Read_InvalidTimestampBound_ThrowsStorageExceptionNamingTheFile(string name, string value)
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t");
        File.WriteAllLines(ConfigFile, File.ReadAllLines(ConfigFile).Select(l => l.StartsWith(name + "=", StringComparison.Ordinal) ? $"{name}={value}" : l));

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());
        Assert.That(e!.FilePath, Is.EqualTo(ConfigFile));
    }

    [Test]
    public async Task Read_TimestampBoundPastTimeSpansRange_IsNoBound()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t");
        File.WriteAllLines(ConfigFile, File.ReadAllLines(ConfigFile).Select(l =>
            l.StartsWith("message.timestamp.after.max.ms=", StringComparison.Ordinal) ? "message.timestamp.after.max.ms=1000000000000000000" : l));

        await using Broker reopened = await Open();
        Assert.That(reopened.TryGetTopic("t", out Topic? topic), Is.True);
        Assert.That(topic!.Config.MessageTimestampAfterMax, Is.Null);
    }

    [Test]
    public async Task CreateTopicAsync_NegativeTimestampBound_ThrowsArgumentOutOfRange()
    {
        await using Broker broker = await Open();
        var before = Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await broker.CreateTopicAsync("t", new TopicConfig { MessageTimestampBeforeMax = TimeSpan.FromMilliseconds(-1) }));
        Assert.That(before!.ParamName, Is.EqualTo(nameof(TopicConfig.MessageTimestampBeforeMax)));
        var after = Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
            await broker.CreateTopicAsync("t", new TopicConfig { MessageTimestampAfterMax = TimeSpan.FromMilliseconds(-1) }));
        Assert.That(after!.ParamName, Is.EqualTo(nameof(TopicConfig.MessageTimestampAfterMax)));
        await broker.CreateTopicAsync("t", new TopicConfig { MessageTimestampBeforeMax = TimeSpan.Zero, MessageTimestampAfterMax = TimeSpan.Zero });
    }

    [Test]
    public async Task Save_ReplicationSettings_RoundTripUnderKafkasNames()
    {
        // A single copy takes any minimum (a broker-wide default meant for replicated topics); it matters from RF 2 on.
        var config = new TopicConfig { MinInSyncReplicas = 2, UncleanLeaderElection = true };
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t", config);

        string[] lines = File.ReadAllLines(ConfigFile);
        Assert.That(lines, Does.Contain("min.insync.replicas=2").And.Contain("unclean.leader.election.enable=true"));
        await using (Broker broker = await Open())
        {
            Assert.That(broker.TryGetTopic("t", out Topic? topic), Is.True);
            Assert.That(topic!.Config, Is.EqualTo(config).UsingPropertiesComparer());
        }
    }

    [Test]
    public async Task Read_FileWithoutReplicationSettings_GetsTheDefaults()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t", new TopicConfig { MinInSyncReplicas = 2 });
        File.WriteAllLines(ConfigFile, File.ReadAllLines(ConfigFile).Where(l => !l.StartsWith("min.insync.", StringComparison.Ordinal)
            && !l.StartsWith("unclean.", StringComparison.Ordinal)));

        await using Broker reopened = await Open();
        Assert.That(reopened.TryGetTopic("t", out Topic? topic), Is.True);
        Assert.That((topic!.Config.MinInSyncReplicas, topic.Config.UncleanLeaderElection), Is.EqualTo((1, false)));
    }

    [TestCase("min.insync.replicas", "0")]
    [TestCase("min.insync.replicas", "two")]
    [TestCase("unclean.leader.election.enable", "maybe")]
    public async Task Read_InvalidReplicationSetting_ThrowsStorageExceptionNamingTheFile(string name, string value)
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("t");
        File.WriteAllLines(ConfigFile, File.ReadAllLines(ConfigFile).Select(l => l.StartsWith(name + "=", StringComparison.Ordinal) ? $"{name}={value}" : l));

        var e = Assert.ThrowsAsync<StorageException>(async () => await Open());
        Assert.That(e!.FilePath, Is.EqualTo(ConfigFile));
    }

    [Test]
    public void Validate_MinInSyncReplicasAboveTheReplicationFactor_IsOutOfRange()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TopicConfig { ReplicationFactor = 2, MinInSyncReplicas = 3 }.Validate())!;
        Assert.That(e.ParamName, Is.EqualTo(nameof(TopicConfig.MinInSyncReplicas)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopicConfig { MinInSyncReplicas = 0 }.Validate());
        Assert.DoesNotThrow(() => new TopicConfig { ReplicationFactor = 3, MinInSyncReplicas = 3 }.Validate());
    }

    [Test]
    public async Task AlterTopicConfig_SetsTheReplicationSettings()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t");

        await broker.AlterTopicConfigAsync("t", new Dictionary<string, string?> { ["min.insync.replicas"] = "2", ["unclean.leader.election.enable"] = "true" });

        Assert.That(broker.TryGetTopic("t", out Topic? topic), Is.True);
        Assert.That((topic!.Config.MinInSyncReplicas, topic.Config.UncleanLeaderElection), Is.EqualTo((2, true)));
        Assert.That(LogStore.Storage.TopicConfigProperties.ToProperties(topic.Config),
            Does.Contain(("min.insync.replicas", "2")).And.Contain(("unclean.leader.election.enable", "true")), "as DescribeConfigs reports them");
    }
}
