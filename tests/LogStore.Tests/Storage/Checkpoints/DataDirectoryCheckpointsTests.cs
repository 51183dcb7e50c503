using LogStore.Storage.Checkpoints;
using LogStore.Storage.Files;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Checkpoints;

/// <summary>
/// Kafka's per-data-directory offset checkpoints: written whole for every partition, migrated from the partition's own
/// <c>partition.checkpoint</c> of earlier versions, hostile entries ignored, and a read-only open writing nothing.
/// </summary>
[TestFixture]
public sealed class DataDirectoryCheckpointsTests : BrokerFixture
{
    private const int EntryIgnored = 1232;
    private CapturingLoggerFactory _logs = null!;

    [SetUp]
    public void SetUpLogs() => _logs = new CapturingLoggerFactory();

    private ValueTask<Broker> OpenAsync() =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, LoggerFactory = _logs });

    private static async Task AppendAsync(Partition partition, int records) =>
        await partition.AppendAsync(Batches.Batch(Batches.Make(0, records)));

    private string Text(string file) => File.ReadAllText(Dir.Combine(file));

    /// <summary>Topic "t": partition 0 holds offsets 0–4 with the log start at 2, partition 1 offsets 0–1.</summary>
    private async Task FillAsync()
    {
        await using Broker broker = await OpenAsync();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 });
        await AppendAsync(topic.Partitions[0], 5);
        await AppendAsync(topic.Partitions[1], 2);
        topic.Partitions[0].Log.DeleteRecordsBefore(2);
    }

    [Test]
    public async Task Close_WritesKafkasThreeFiles_WholeForEveryPartition_AndNoPartitionCheckpoint()
    {
        await FillAsync();

        Assert.That(Text("recovery-point-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 5\nt 1 2\n"));
        Assert.That(Text("log-start-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 2\nt 1 0\n"));
        Assert.That(Text("replication-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 5\nt 1 2\n"));
        Assert.That(Directory.GetFiles(Dir.Path, "partition.checkpoint", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public async Task ExplicitFlush_WritesTheRecoveryPoints_TheHighWatermarksWaitForTheClose()
    {
        await using (Broker broker = await OpenAsync())
        {
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
            await AppendAsync(p, 5);
            await p.FlushAsync();

            Assert.That(Text("recovery-point-offset-checkpoint"), Is.EqualTo("0\n1\nt 0 5\n"));
            Assert.That(File.Exists(Dir.Combine("replication-offset-checkpoint")), Is.False, "one file per flush, as before");
        }
        Assert.That(Text("replication-offset-checkpoint"), Is.EqualTo("0\n1\nt 0 5\n"));
    }

    [Test]
    public async Task DeleteRecords_LogStartIsDurableAtOnce()
    {
        await using Broker broker = await OpenAsync();
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
        await AppendAsync(p, 5);

        p.Log.DeleteRecordsBefore(3);

        Assert.That(Text("log-start-offset-checkpoint"), Is.EqualTo("0\n1\nt 0 3\n"));
    }

    [Test]
    public async Task Migration_FromPartitionCheckpoint_KeepsTheValues_ThenDeletesTheOldFile()
    {
        await FillAsync();
        // As an earlier version left the store: the values in each partition's own file, no per-directory files.
        foreach (string file in new[] { "recovery-point-offset-checkpoint", "log-start-offset-checkpoint", "replication-offset-checkpoint" })
            File.Delete(Dir.Combine(file));
        File.WriteAllText(Dir.Combine("t-0", "partition.checkpoint"), "0\nrecovery-point 5\nlog-start-offset 2\n");
        File.WriteAllText(Dir.Combine("t-1", "partition.checkpoint"), "0\nrecovery-point 2\nlog-start-offset 0\n");

        var checkpoints = DataDirectoryCheckpoints.Load(new DiskFileSystem(), Dir.Path, _logs.CreateLogger("test"), readOnly: false);
        Assert.That(checkpoints.Get(new TopicPartition("t", 0), Dir.Combine("t-0"), legacyFilePresent: true), Is.EqualTo((5L, 2L)));

        await using (Broker broker = await OpenAsync())
        {
            Partition p = broker.Topics.Single(t => t.Name == "t").Partitions[0];
            Assert.That(p.LogStartOffset, Is.EqualTo(2), "the log start came from partition.checkpoint");
            Assert.That(File.Exists(Dir.Combine("t-0", "partition.checkpoint")), Is.True, "kept until the new files are durable");
        }
        Assert.That(Text("recovery-point-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 5\nt 1 2\n"));
        Assert.That(Text("log-start-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 2\nt 1 0\n"));
        Assert.That(Directory.GetFiles(Dir.Path, "partition.checkpoint", SearchOption.AllDirectories), Is.Empty, "deleted once migrated");
    }

    [Test]
    public async Task HostileEntries_AreIgnoredAndLogged_AndDroppedAtTheNextWrite()
    {
        await FillAsync();
        File.WriteAllText(Dir.Combine("recovery-point-offset-checkpoint"),
            "0\n5\nt 0 5\nt 1 -4\n../etc 0 5\nt 7 5\nghost 0 9223372036854775807\n");

        await using (Broker broker = await OpenAsync())
        {
            Partition p = broker.Topics.Single(t => t.Name == "t").Partitions[1];
            Assert.That(p.LogEndOffset, Is.EqualTo(2), "recovered from scratch, nothing lost");
        }
        Assert.That(_logs.WithId(EntryIgnored), Has.Count.EqualTo(4), "negative, invalid name, unknown partition, huge");
        Assert.That(Text("recovery-point-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 5\nt 1 2\n"));
    }

    [Test]
    public async Task MalformedFile_MeansRecoverEverything_NeverAFailedOpen()
    {
        await FillAsync();
        File.WriteAllText(Dir.Combine("recovery-point-offset-checkpoint"), "0\n9\nt 0 5\n");
        File.Delete(Dir.Combine(".logstore_cleanshutdown"));

        await using (Broker broker = await OpenAsync())
        {
            Topic topic = broker.Topics.Single(t => t.Name == "t");
            Assert.That(topic.Partitions.Select(p => p.LogEndOffset), Is.EqualTo(new[] { 5L, 2L }));
        }
        Assert.That(Text("recovery-point-offset-checkpoint"), Is.EqualTo("0\n2\nt 0 5\nt 1 2\n"), "rewritten whole");
    }

    [Test]
    public async Task TopicDeletedAndCreatedAgain_DoesNotInheritItsCheckpoint()
    {
        await FillAsync();
        await using (Broker broker = await OpenAsync())
        {
            await broker.DeleteTopicAsync("t");
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig())).Partitions[0];
            Assert.That(p.LogStartOffset, Is.Zero);
            await AppendAsync(p, 1);
            Assert.That(p.LogEndOffset, Is.EqualTo(1));
        }
        Assert.That(Text("recovery-point-offset-checkpoint"), Is.EqualTo("0\n1\nt 0 1\n"));
        Assert.That(Text("log-start-offset-checkpoint"), Is.EqualTo("0\n1\nt 0 0\n"));
    }

    [Test]
    public async Task ReadOnlyOpen_ReadsTheFiles_AndWritesNothing()
    {
        await FillAsync();
        File.Delete(Dir.Combine("recovery-point-offset-checkpoint"));
        File.WriteAllText(Dir.Combine("t-0", "partition.checkpoint"), "0\nrecovery-point 5\nlog-start-offset 2\n");
        DateTime before = File.GetLastWriteTimeUtc(Dir.Combine("log-start-offset-checkpoint"));

        await using (Broker readOnly = await Broker.OpenReadOnlyAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time }))
            Assert.That(readOnly.Topics.Single(t => t.Name == "t").Partitions[0].LogStartOffset, Is.EqualTo(2));

        Assert.That(File.Exists(Dir.Combine("recovery-point-offset-checkpoint")), Is.False);
        Assert.That(File.Exists(Dir.Combine("t-0", "partition.checkpoint")), Is.True);
        Assert.That(File.GetLastWriteTimeUtc(Dir.Combine("log-start-offset-checkpoint")), Is.EqualTo(before));
    }
}
