using LogStore.Storage.Checkpoints;
using LogStore.Storage.Epochs;
using LogStore.Storage.Files;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Checkpoints;

/// <summary>
/// The checkpoint-file class in Kafka's text format: what Kafka writes and reads, byte for byte; torn and garbage files
/// as a typed error; and an atomic replace that a crash at any step leaves old or new, never torn.
/// </summary>
[TestFixture]
public sealed class CheckpointFileTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string PathOf(string name) => _dir.Combine(name);

    private static KeyValuePair<TopicPartition, long> Offset(string topic, int partition, long offset) => new(new TopicPartition(topic, partition), offset);

    // Kafka's OffsetCheckpointFile and LeaderEpochCheckpointFile: version 0, the count, one entry per line, each ended by \n.
    private const string KafkaOffsets = "0\n2\norders 0 42\n__consumer_offsets 17 1234567890123\n";
    private const string KafkaEpochs = "0\n3\n0 0\n3 150\n7 9000\n";

    [Test]
    public void OffsetCheckpoint_Write_IsKafkasFormatByteForByte_AndReadsBack()
    {
        var file = OffsetCheckpointFile.Open(new DiskFileSystem(), PathOf("recovery-point-offset-checkpoint"));
        KeyValuePair<TopicPartition, long>[] entries = [Offset("orders", 0, 42), Offset("__consumer_offsets", 17, 1234567890123)];

        file.Write(entries);

        Assert.That(File.ReadAllText(file.Path), Is.EqualTo(KafkaOffsets));
        Assert.That(file.Read(), Is.EqualTo(entries));
        Assert.That(Directory.GetFiles(_dir.Path), Has.Length.EqualTo(1), "no temporary file left");
    }

    [Test]
    public void LeaderEpochCheckpoint_Write_IsKafkasFormatByteForByte_AndReadsBack()
    {
        var file = LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path);
        EpochEntry[] entries = [new(0, 0), new(3, 150), new(7, 9000)];

        file.Write(entries);

        Assert.That(Path.GetFileName(file.Path), Is.EqualTo("leader-epoch-checkpoint"));
        Assert.That(File.ReadAllText(file.Path), Is.EqualTo(KafkaEpochs));
        Assert.That(file.Read(), Is.EqualTo(entries));
    }

    [Test]
    public void Read_FilesKafkaWrote_GivesTheirEntries()
    {
        File.WriteAllText(PathOf("o"), KafkaOffsets);
        File.WriteAllText(PathOf("leader-epoch-checkpoint"), KafkaEpochs);

        Assert.That(OffsetCheckpointFile.Open(new DiskFileSystem(), PathOf("o")).Read(),
            Is.EqualTo(new[] { Offset("orders", 0, 42), Offset("__consumer_offsets", 17, 1234567890123) }));
        Assert.That(LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path).Read(),
            Is.EqualTo(new EpochEntry[] { new(0, 0), new(3, 150), new(7, 9000) }));
    }

    [Test]
    public void Write_NoEntries_IsVersionAndZero()
    {
        var file = LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path);
        file.Write([]);
        Assert.That(File.ReadAllText(file.Path), Is.EqualTo("0\n0\n"));
        Assert.That(file.Read(), Is.Empty);
    }

    [Test]
    public void Read_NoFile_IsNull() => Assert.That(LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path).Read(), Is.Null);

    [TestCase("", TestName = "Read_Empty_IsCorrupt")]
    [TestCase("0\n", TestName = "Read_NoCountLine_IsCorrupt")]
    [TestCase("1\n1\n0 0\n", TestName = "Read_UnknownVersion_IsCorrupt")]
    [TestCase("0\n2\n0 0\n", TestName = "Read_FewerEntriesThanCounted_IsCorrupt")]
    [TestCase("0\n1\n0 0\n1 5\n", TestName = "Read_MoreEntriesThanCounted_IsCorrupt")]
    [TestCase("0\n1\n0 0 0\n", TestName = "Read_EntryWithExtraField_IsCorrupt")]
    [TestCase("0\n1\nzero 0\n", TestName = "Read_EntryNotANumber_IsCorrupt")]
    [TestCase("0\n1\n-1 0\n", TestName = "Read_NegativeEpoch_IsCorrupt")]
    [TestCase("0\n1\n0 99999999999999999999\n", TestName = "Read_OffsetOverflowingLong_IsCorrupt")]
    [TestCase("0\n-1\n", TestName = "Read_NegativeCount_IsCorrupt")]
    [TestCase("0\n3\n0 0\n3 1", TestName = "Read_TornMidEntry_IsCorrupt")]
    public void Read_Malformed_ThrowsCorruptCheckpoint_AndLeavesTheFile(string text)
    {
        File.WriteAllText(PathOf("leader-epoch-checkpoint"), text);
        var file = LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path);

        var e = Assert.Throws<CorruptCheckpointException>(() => file.Read());

        Assert.That(e!.FilePath, Is.EqualTo(file.Path));
        Assert.That(File.ReadAllText(file.Path), Is.EqualTo(text), "the file is left for the next write to replace");
    }

    [Test]
    public void Read_Garbage_ThrowsCorruptCheckpoint_WithAShortMessage()
    {
        const int seed = 15;
        var bytes = new byte[64 << 10];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(PathOf("leader-epoch-checkpoint"), bytes);

        var e = Assert.Throws<CorruptCheckpointException>(() => LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path).Read());

        Assert.That(e!.Message.Length, Is.LessThan(400), $"seed {seed}");
    }

    [Test]
    public void Read_ALinkAtThePath_IsRefused_NotFollowed()
    {
        string target = PathOf("elsewhere");
        File.WriteAllText(target, KafkaEpochs);
        File.CreateSymbolicLink(PathOf("leader-epoch-checkpoint"), target);

        Assert.Throws<StorageException>(() => LeaderEpochCheckpointFile.Open(new DiskFileSystem(), _dir.Path).Read());
    }

    [Test]
    public void Write_FailingAtEachStep_LeavesTheOldFileWhole()
    {
        var files = new NthOperationFileSystem(errno: 28, persistent: false);
        var file = LeaderEpochCheckpointFile.Open(files, _dir.Path);
        file.Write([new(0, 0)]);
        int steps = files.Count;
        for (int step = 1; step <= steps; step++)
        {
            int before = files.Count;
            files.FailAt = before + step;
            try
            {
                file.Write([new(0, 0), new(step, 10L * step)]);
            }
            catch (StorageException)
            {
            }
            files.Heal();
            List<EpochEntry>? read = file.Read();
            Assert.That(read, Is.EqualTo(new EpochEntry[] { new(0, 0) }).Or.EqualTo(new EpochEntry[] { new(0, 0), new(step, 10L * step) }),
                $"failure at step {step} of {steps}");
            file.Write([new(0, 0)]);
        }
    }

    [Test]
    public void Write_PowerLossBeforeTheRenameOrItsDirectoryFsync_LeavesOldOrNew_NeverTorn()
    {
        const int seed = 20261206;
        var random = new Random(seed);
        var files = new PowerLossFileSystem(_dir.Path);
        var file = LeaderEpochCheckpointFile.Open(files, _dir.Path);
        file.Write([new(0, 0)]);
        files.FsyncDirectory(_dir.Path);
        var images = new List<(string Operation, TempDirectory Image)>();
        files.BeforeEntryOperation = operation =>
        {
            foreach (PowerLossFileSystem.Entries entries in Enum.GetValues<PowerLossFileSystem.Entries>())
            {
                var image = new TempDirectory();
                files.WriteImage(image.Path, random, torn: true, entries);
                images.Add(($"{operation}, {entries}", image));
            }
        };

        file.Write([new(0, 0), new(1, 50)]);

        Assert.That(images, Has.Count.GreaterThanOrEqualTo(6), "images before the rename and before the directory fsync");
        try
        {
            foreach ((string operation, TempDirectory image) in images)
            {
                List<EpochEntry>? read = LeaderEpochCheckpointFile.Open(new DiskFileSystem(), image.Path).Read();
                Assert.That(read, Is.EqualTo(new EpochEntry[] { new(0, 0) }).Or.EqualTo(new EpochEntry[] { new(0, 0), new(1, 50) }),
                    $"power loss before {operation} (seed {seed})");
            }
        }
        finally
        {
            foreach ((_, TempDirectory image) in images)
                image.Dispose();
        }
    }

    [Test]
    public void OffsetEntry_ParsesShapeOnly_LeavingJudgementToTheCaller()
    {
        // A negative offset or an odd topic is a well-formed line: the owner of the file ignores such entries with a warning.
        Assert.That(OffsetCheckpointFile.Formatter.TryParse("t 0 -5", out var negative), Is.True);
        Assert.That(negative, Is.EqualTo(Offset("t", 0, -5)));
        Assert.That(OffsetCheckpointFile.Formatter.TryParse("t 0", out _), Is.False);
        Assert.That(OffsetCheckpointFile.Formatter.TryParse(" 0 5", out _), Is.False);
        Assert.That(OffsetCheckpointFile.Formatter.TryParse("t x 5", out _), Is.False);
    }
}
