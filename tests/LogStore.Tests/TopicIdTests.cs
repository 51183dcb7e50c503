using LogStore.Storage;
using LogStore.Storage.Files;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests;

/// <summary>Topic ids (KIP-516): given at creation, kept in every partition's <c>partition.metadata</c>, given to an
/// older store at its next writable open, and never silently replaced.</summary>
[TestFixture]
public sealed class TopicIdTests : BrokerFixture
{
    private ValueTask<Broker> Open(CapturingLoggerFactory? logs = null) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, LoggerFactory = logs });

    private string MetadataFile(string topic, int partition) => Dir.Combine($"{topic}-{partition}", "partition.metadata");

    private Guid? IdIn(string topic, int partition) => PartitionMetadataFile.Read(Dir.Combine($"{topic}-{partition}"));

    [Test]
    public async Task CreateTopicAsync_GivesARandomIdEveryPartitionHolds_KeptAcrossReopen()
    {
        Guid id;
        await using (Broker broker = await Open())
        {
            Topic topic = await broker.CreateTopicAsync("orders", new TopicConfig { Partitions = 3 });
            Topic other = await broker.CreateTopicAsync("other");
            id = topic.TopicId;
            Assert.That(id, Is.Not.EqualTo(Guid.Empty));
            Assert.That(other.TopicId, Is.Not.EqualTo(id));
            Assert.That(Enumerable.Range(0, 3).Select(p => IdIn("orders", p)), Is.All.EqualTo(id));
            Assert.That(broker.TryGetTopic(id, out Topic? found) ? found : null, Is.SameAs(topic));
        }

        await using (Broker broker = await Open())
        {
            Assert.That(broker.TryGetTopic("orders", out Topic? reopened), Is.True);
            Assert.That(reopened!.TopicId, Is.EqualTo(id));
            Assert.That(broker.TryGetTopic(id, out Topic? byId) ? byId : null, Is.SameAs(reopened));
            Assert.That(broker.TryGetTopic(Guid.Empty, out _), Is.False);
            Assert.That(broker.TryGetTopic(Guid.NewGuid(), out _), Is.False);
        }
    }

    [Test]
    public async Task DeleteAndCreateAgain_SameName_GetsANewId()
    {
        await using Broker broker = await Open();
        Guid first = (await broker.CreateTopicAsync("t")).TopicId;
        await broker.DeleteTopicAsync("t");

        Topic again = await broker.CreateTopicAsync("t");

        Assert.That(again.TopicId, Is.Not.EqualTo(first));
        Assert.That(broker.TryGetTopic(first, out _), Is.False);
        Assert.That(IdIn("t", 0), Is.EqualTo(again.TopicId));
    }

    [Test]
    public async Task CreatePartitionsAsync_NewPartitionsHoldTheTopicsId()
    {
        await using Broker broker = await Open();
        Topic topic = await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 1 });

        await broker.CreatePartitionsAsync("t", 3);

        Assert.That(Enumerable.Range(0, 3).Select(p => IdIn("t", p)), Is.All.EqualTo(topic.TopicId));
    }

    [Test]
    public async Task OpenAsync_StoreWithoutTopicIds_WritesOneIdToEveryPartition_ThenKeepsIt()
    {
        await using (Broker broker = await Open())
            await broker.CreateTopicAsync("old", new TopicConfig { Partitions = 2 });
        File.Delete(MetadataFile("old", 0));
        File.Delete(MetadataFile("old", 1));
        var logs = new CapturingLoggerFactory();

        Guid given;
        await using (Broker broker = await Open(logs))
        {
            Assert.That(broker.TryGetTopic("old", out Topic? topic), Is.True);
            given = topic!.TopicId;
            Assert.That(given, Is.Not.EqualTo(Guid.Empty));
        }

        Assert.That(new[] { IdIn("old", 0), IdIn("old", 1) }, Is.All.EqualTo(given));
        Assert.That(logs.WithId(1309).Single().Message, Does.Contain("old").And.Contain(KafkaUuid.ToKafkaString(given)));
        await using (Broker broker = await Open())
            Assert.That(broker.TryGetTopic("old", out Topic? topic) ? topic.TopicId : Guid.Empty, Is.EqualTo(given));
    }

    [Test]
    public async Task OpenAsync_OnePartitionLacksTheFile_GetsTheIdTheOthersHold()
    {
        Guid id;
        await using (Broker broker = await Open())
            id = (await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 })).TopicId;
        File.Delete(MetadataFile("t", 0));

        await using Broker reopened = await Open();

        Assert.That(reopened.TryGetTopic("t", out Topic? topic) ? topic.TopicId : Guid.Empty, Is.EqualTo(id));
        Assert.That(IdIn("t", 0), Is.EqualTo(id));
    }

    [Test]
    public async Task OpenReadOnlyAsync_WritesNothing_ReportsTheIdWhenThere()
    {
        Guid id;
        await using (Broker broker = await Open())
        {
            id = (await broker.CreateTopicAsync("with")).TopicId;
            await broker.CreateTopicAsync("without");
        }
        File.Delete(MetadataFile("without", 0));

        await using (Broker reader = await Broker.OpenReadOnlyAsync(new BrokerOptions { DataDirectory = Dir.Path }))
        {
            Assert.That(reader.TryGetTopic("with", out Topic? with) ? with.TopicId : Guid.Empty, Is.EqualTo(id));
            Assert.That(reader.TryGetTopic(id, out _), Is.True);
            Assert.That(reader.TryGetTopic("without", out Topic? without) ? without.TopicId : id, Is.EqualTo(Guid.Empty));
        }

        Assert.That(File.Exists(MetadataFile("without", 0)), Is.False, "a read-only open writes nothing");
    }

    [Test]
    public async Task OpenAsync_PartitionHoldsAnotherTopicsId_ItIsOfflineAndItsFileKept()
    {
        Guid id;
        await using (Broker broker = await Open())
        {
            id = (await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 3 })).TopicId;
            await broker.Topics.Single().Partitions[2].AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        }
        Guid stranger = KafkaUuid.NewTopicId();
        PartitionMetadataFile.Write(new LogStore.Storage.Files.DiskFileSystem(), Dir.Combine("t-2"), stranger);
        var logs = new CapturingLoggerFactory();

        await using (Broker broker = await Open(logs))
        {
            Assert.That(broker.TryGetTopic("t", out Topic? topic), Is.True);
            Assert.That(topic!.TopicId, Is.EqualTo(id), "partition 0's id, never a new one");
            Assert.That(topic.Partitions.Select(p => p.IsOffline), Is.EqualTo(new[] { false, false, true }));
            var e = Assert.ThrowsAsync<PartitionOfflineException>(async () => await topic.Partitions[2].ReadAsync(0, 1000));
            Assert.That(e!.InnerException, Is.TypeOf<StorageException>());
            Assert.That(e.InnerException!.Message, Does.Contain(KafkaUuid.ToKafkaString(stranger)).And.Contain(KafkaUuid.ToKafkaString(id)));
            Assert.That(logs.WithId(1304).Single().Message, Does.Contain("t-2"));
        }

        Assert.That(IdIn("t", 2), Is.EqualTo(stranger), "the file is left for the operator");
        PartitionMetadataFile.Write(new LogStore.Storage.Files.DiskFileSystem(), Dir.Combine("t-2"), id);
        await using (Broker broker = await Open())
        {
            Assert.That(broker.TryGetTopic("t", out Topic? topic) ? topic.Partitions[2].LogEndOffset : -1, Is.EqualTo(3), "its records are there");
        }
    }

    [Test]
    public async Task OpenAsync_DamagedFile_PartitionOffline_NeverANewId()
    {
        Guid id;
        await using (Broker broker = await Open())
            id = (await broker.CreateTopicAsync("t", new TopicConfig { Partitions = 2 })).TopicId;
        File.WriteAllText(MetadataFile("t", 0), "version: 0\ntopic_id: ?");

        await using Broker reopened = await Open();

        Assert.That(reopened.TryGetTopic("t", out Topic? topic), Is.True);
        Assert.That(topic!.Partitions.Select(p => p.IsOffline), Is.EqualTo(new[] { true, false }));
        Assert.That(topic.TopicId, Is.EqualTo(id), "partition 1's");
        Assert.That(File.ReadAllText(MetadataFile("t", 0)), Is.EqualTo("version: 0\ntopic_id: ?"));
    }

    [Test]
    public async Task OpenAsync_TheIdCannotBeWritten_PartitionsServeAndTheNextOpenWritesIt()
    {
        await using (Broker broker = await Open())
        {
            Topic created = await broker.CreateTopicAsync("old", new TopicConfig { Partitions = 2 });
            await created.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 3)));
        }
        File.Delete(MetadataFile("old", 0));
        File.Delete(MetadataFile("old", 1));
        var files = new FaultInjectingFileSystem();
        // Opening writes no other temporary file: only the ids' writes fail, as on a full disk.
        files.Fail(FileOperation.Write, DiskErrors.Enospc, pathContains: LogFileNames.TempSuffix);
        var logs = new CapturingLoggerFactory();

        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, FileSystem = files, LoggerFactory = logs }))
        {
            Assert.That(broker.TryGetTopic("old", out Topic? topic), Is.True);
            Assert.That(topic!.Partitions.Select(p => p.IsOffline), Is.All.False);
            Assert.That(topic.TopicId, Is.Not.EqualTo(Guid.Empty));
            Assert.That(topic.Partitions[0].LogEndOffset, Is.EqualTo(3));
            Assert.That(logs.WithId(1310), Has.Count.EqualTo(2));
        }

        Assert.That(File.Exists(MetadataFile("old", 0)), Is.False);
        await using (Broker broker = await Open())
            Assert.That(IdIn("old", 0), Is.EqualTo(broker.Topics.Single().TopicId).And.EqualTo(IdIn("old", 1)));
    }
}
