using LogStore.Storage;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Issue 18 item 4: one partition that cannot be opened stands offline, reported, while the rest serves.</summary>
public sealed partial class BrokerTests
{
    /// <summary>A topic of three partitions with five records each, and another topic; then partition 1's directory
    /// is moved aside and a file put in its place, so that it cannot be opened (its data is kept, to be put back).</summary>
    private async Task<string> StoreWithABlockedPartition(string topic)
    {
        await using (Broker broker = await Open())
        {
            Topic t = await broker.CreateTopicAsync(topic, new TopicConfig { Partitions = 3 });
            foreach (Partition p in t.Partitions)
                await p.AppendAsync(Batches.Batch(Batches.Make(0, 5)));
            Topic other = await broker.CreateTopicAsync("other");
            await other.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 2)));
        }
        string blocked = _dir.Combine($"{topic}-1");
        Directory.Move(blocked, _dir.Combine("aside"));
        File.WriteAllText(blocked, "not a directory");
        return blocked;
    }

    [Test]
    public async Task OpenAsync_OnePartitionCannotBeOpened_ItIsOfflineReportedAndTheRestServes()
    {
        string topic = "offline-" + Guid.NewGuid().ToString("N");
        string blocked = await StoreWithABlockedPartition(topic);
        var logs = new CapturingLoggerFactory();
        using var metrics = new MeterCapture(topic);

        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, LoggerFactory = logs }))
        {
            Assert.That(broker.TryGetTopic(topic, out Topic? t), Is.True);
            Partition offline = t!.Partitions[1];
            Assert.That(t.Partitions.Select(p => p.IsOffline), Is.EqualTo(new[] { false, true, false }));
            Assert.That((t.Partitions[0].LogEndOffset, t.Partitions[2].LogEndOffset), Is.EqualTo((5L, 5L)));
            Assert.That((await Batches.ReadAll(t.Partitions[2])).Select(r => r.Key), Is.EqualTo(new[] { "k0", "k1", "k2", "k3", "k4" }));
            await t.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(5, 1)));
            Assert.That(broker.TryGetTopic("other", out Topic? other) ? other.Partitions[0].LogEndOffset : -1, Is.EqualTo(2));

            var appended = Assert.ThrowsAsync<PartitionOfflineException>(async () => await offline.AppendAsync(Batches.Batch(Batches.Make(0, 1))));
            Assert.That(appended!.Partition, Is.EqualTo(new TopicPartition(topic, 1)));
            Assert.That(appended.FilePath, Is.EqualTo(blocked));
            Assert.That(appended.InnerException, Is.TypeOf<StorageException>());
            Assert.That(appended.Message, Does.Contain($"{topic}-1").And.Contain("offline"));
            Assert.ThrowsAsync<PartitionOfflineException>(async () => await offline.ReadAsync(0, 1000));
            Assert.ThrowsAsync<PartitionOfflineException>(async () => await offline.FlushAsync());
            Assert.Throws<PartitionOfflineException>(() => _ = offline.LogEndOffset);
            Assert.Throws<PartitionOfflineException>(() => _ = offline.Segments);

            await using IProducer<string, string> producer = broker.CreateProducer<string, string>();
            Assert.ThrowsAsync<PartitionOfflineException>(async () =>
                await producer.ProduceAsync(new TopicPartition(topic, 1), new Message<string, string> { Key = "k", Value = "v" }));

            await broker.FlushAsync();
            metrics.Observe();
            Assert.That(metrics.Of("logstore.partitions.offline").Select(m => (m.Partition, m.Value)), Is.EqualTo(new[] { (1, 1.0) }));
            var logged = logs.WithId(1304).Single();
            Assert.That(logged.Message, Does.Contain($"{topic}-1").And.Contain(blocked));
            Assert.That(logged.Exception, Is.TypeOf<StorageException>());
        }

        // Nothing of the offline partition was touched: put back, it opens with its records.
        File.Delete(blocked);
        Directory.Move(_dir.Combine("aside"), blocked);
        await using (Broker broker = await Open())
        {
            Assert.That(broker.TryGetTopic(topic, out Topic? t), Is.True);
            Assert.That(t!.Partitions.Select(p => p.LogEndOffset), Is.EqualTo(new long[] { 6, 5, 5 }));
        }
    }

    [Test]
    public async Task DisposeAsync_AfterAnUncleanOpenWithAnOfflinePartition_LeavesNoCleanShutdownMarker()
    {
        await StoreWithABlockedPartition("t");
        string marker = _dir.Combine(LogFileNames.CleanShutdownFile);
        File.Delete(marker); // as a crash leaves it
        var logs = new CapturingLoggerFactory();

        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, LoggerFactory = logs }))
            Assert.That(broker.TryGetTopic("t", out Topic? t) && t.Partitions[1].IsOffline, Is.True);

        Assert.That(File.Exists(marker), Is.False, "the offline partition was never recovered: the next open must recover it");
        Assert.That(logs.WithId(1305), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task DeleteTopicAsync_ATopicWithAnOfflinePartition_DeletesItAndTheNameCanBeReused()
    {
        string blocked = await StoreWithABlockedPartition("t");
        await using Broker broker = await Open();
        Assert.That(broker.TryGetTopic("t", out Topic? t) && t.Partitions[1].IsOffline, Is.True);
        File.Delete(blocked); // the partition's directory was never created

        await broker.DeleteTopicAsync("t");

        Topic again = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 });
        Assert.That(again.Partitions.Select(p => p.LogEndOffset), Is.EqualTo(new long[] { 0, 0, 0 }));
    }
}
