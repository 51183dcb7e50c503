using LogStore.Clients.Groups;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Clients.Groups;

[TestFixture]
public sealed class OffsetStoreTests
{
    private TempDirectory _dir = null!;
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, TimeProvider = _time });

    [Test]
    public void Codec_KeyAndValue_AreKafkasOffsetCommitFormat()
    {
        var tp = new TopicPartition("t", 3);
        byte[] key = new byte[OffsetCommitCodec.KeySize("g", tp)];
        byte[] value = new byte[OffsetCommitCodec.ValueSize];

        OffsetCommitCodec.WriteKey(key, "g", tp);
        OffsetCommitCodec.WriteValue(value, 42, 1000);

        Assert.That(key, Is.EqualTo(new byte[] { 0, 1, 0, 1, (byte)'g', 0, 1, (byte)'t', 0, 0, 0, 3 }));
        Assert.That(value, Is.EqualTo(new byte[] { 0, 3, 0, 0, 0, 0, 0, 0, 0, 42, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 3, 232 }));
        Assert.That(OffsetCommitCodec.TryReadKey(key, out string group, out TopicPartition read), Is.True);
        Assert.That((group, read), Is.EqualTo(("g", tp)));
        Assert.That(OffsetCommitCodec.ReadValue(value), Is.EqualTo((42L, 1000L)));
        Assert.That(OffsetCommitCodec.TryReadKey(new byte[] { 0, 2, 0, 1, (byte)'g' }, out _, out _), Is.False, "group metadata keys are skipped");
        Assert.Throws<CorruptRecordException>(() => OffsetCommitCodec.TryReadKey(new byte[] { 0, 1, 0, 9 }, out _, out _));
    }

    [TestCase("hello", 99162322, 2)]            // Java: "hello".hashCode() == 99162322
    [TestCase("", 0, 0)]
    [TestCase("polygenelubricants", int.MinValue, 0)] // Java's famous hashCode of Integer.MIN_VALUE
    public void PartitionFor_UsesJavasStringHashCode(string group, int javaHash, int expectedOfFour)
    {
        Assert.That(OffsetCommitCodec.PartitionFor(group, int.MaxValue), Is.EqualTo((javaHash & 0x7fffffff) % int.MaxValue));
        Assert.That(OffsetCommitCodec.PartitionFor(group, 4), Is.EqualTo(expectedOfFour));
    }

    [Test]
    public async Task Commit_ThenReopen_LoadsTheLatestValuePerKeyAndDropsTombstones()
    {
        var a = new TopicPartition("t", 0);
        var b = new TopicPartition("t", 1);
        await using (Broker broker = await Open())
        {
            var store = new OffsetStore(broker);
            store.Commit("g1", [(a, 5), (b, 7)]);
            store.Commit("g1", [(a, 9)]);
            store.Commit("g2", [(a, 1)]);
            store.Commit("g1", [(b, null)]);
            Assert.That((store.Get("g1", a), store.Get("g1", b), store.Get("g2", a)), Is.EqualTo(((long?)9, (long?)null, (long?)1)));
        }

        await using (Broker broker = await Open())
        {
            var store = new OffsetStore(broker);
            Assert.That(store.Get("g1", a), Is.EqualTo(9));
            Assert.That(store.Get("g1", b), Is.Null);
            Assert.That(store.Get("g2", a), Is.EqualTo(1));
            Assert.That(store.GetAll("g1"), Is.EquivalentTo(new Dictionary<TopicPartition, long> { [a] = 9 }));
            Assert.That(store.RecordsLoaded, Is.EqualTo(5));
            Topic topic = broker.Topics.Single(t => t.Name == OffsetStore.TopicName);
            Assert.That(topic.Partitions, Has.Count.EqualTo(OffsetStore.PartitionCount));
            Partition g1Partition = topic.Partitions[OffsetCommitCodec.PartitionFor("g1", OffsetStore.PartitionCount)];
            Assert.That(g1Partition.LogEndOffset, Is.EqualTo(4), "every record of g1 is in its own partition");
            Assert.That(g1Partition.Log.RecoveryPoint, Is.EqualTo(4), "each commit was fsynced");
        }
    }

    [Test]
    public async Task Load_AMalformedRecordInTheTopic_IsSkippedAndLoggedAndEveryGroupStillWorks()
    {
        var tp = new TopicPartition("t", 0);
        int partition;
        long badOffset;
        await using (Broker broker = await Open())
        {
            var store = new OffsetStore(broker);
            store.Commit("g", [(tp, 5)]);
            // What a producer could write before internal topics were refused: a key that claims to be an offset commit.
            partition = OffsetCommitCodec.PartitionFor("g", OffsetStore.PartitionCount);
            Partition target = broker.Topics.Single(t => t.IsInternal).Partitions[partition];
            using var builder = new RecordBatchBuilder();
            builder.Append(Batches.BaseTime, new byte[] { 0, 1, 0, 9 }, new byte[] { 1 });
            badOffset = target.Log.Append(builder.Build()).BaseOffset;
            store.Commit("g", [(tp, 6)]);
        }
        var logs = new CapturingLoggerFactory();

        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, TimeProvider = _time, LoggerFactory = logs }))
        {
            var store = new OffsetStore(broker);
            Assert.That(store.Get("g", tp), Is.EqualTo(6), "the records after the bad one are loaded");
            Assert.That(store.Get("new-group", tp), Is.Null, "a new group works");
            store.Commit("other", [(tp, 1)]);
            Assert.That(store.RecordsSkipped, Is.EqualTo(1));
            var logged = logs.WithId(3008).Single();
            Assert.That(logged.Message, Does.Contain($"__consumer_offsets-{partition}").And.Contain($"offset {badOffset}")
                .And.Contain(Path.Combine(_dir.Path, $"__consumer_offsets-{partition}", "00000000000000000000.log")));
            Assert.That(logged.Exception, Is.TypeOf<CorruptRecordException>());
        }
    }

    [Test]
    public async Task Commit_ManyOffsetsAtOnce_SplitsIntoBatchesWithinMaxMessageBytes()
    {
        await using Broker broker = await Open();
        var store = new OffsetStore(broker);
        var offsets = Enumerable.Range(0, 20_000).Select(i => (new TopicPartition("a-rather-long-topic-name", i), (long?)i)).ToList();

        store.Commit("g", offsets);

        Assert.That(store.Get("g", new TopicPartition("a-rather-long-topic-name", 19_999)), Is.EqualTo(19_999));
        Assert.That(store.GetAll("g"), Has.Count.EqualTo(20_000));
    }
}
