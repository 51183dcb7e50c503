using LogStore.Storage;
using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage;

/// <summary><c>partition.metadata</c> in Kafka's format, and Kafka's text form of a topic id.</summary>
[TestFixture]
public sealed class PartitionMetadataFileTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string FilePath => Path.Combine(_dir.Path, "partition.metadata");

    // Kafka's Uuid(0x0001020304050607L, 0x08090a0b0c0d0e0fL).toString(): its bytes in URL-safe base64, no padding.
    private const string KafkaText = "AAECAwQFBgcICQoLDA0ODw";
    private static readonly Guid KafkaId = new(Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(), bigEndian: true);

    [Test]
    public void Read_AFileKafkaWrote_GivesItsTopicId()
    {
        File.WriteAllText(FilePath, $"version: 0\ntopic_id: {KafkaText}");

        Assert.That(PartitionMetadataFile.Read(_dir.Path), Is.EqualTo(KafkaId));
    }

    [Test]
    public void Write_IsKafkasFormatByteForByte_AndReadsBack()
    {
        PartitionMetadataFile.Write(new DiskFileSystem(), _dir.Path, KafkaId);

        Assert.That(File.ReadAllText(FilePath), Is.EqualTo($"version: 0\ntopic_id: {KafkaText}"));
        Assert.That(PartitionMetadataFile.Read(_dir.Path), Is.EqualTo(KafkaId));
        Assert.That(Directory.GetFiles(_dir.Path), Has.Length.EqualTo(1), "no temporary file left");
    }

    [Test]
    public void Read_NoFile_IsNull() => Assert.That(PartitionMetadataFile.Read(_dir.Path), Is.Null);

    [TestCase("")]
    [TestCase("version: 0")]
    [TestCase("version: 1\ntopic_id: " + KafkaText)]
    [TestCase("version: 0\ntopic_id: not-an-id")]
    [TestCase("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA")]
    [TestCase("version: 0\ntopic_id: AAECAwQFBgcICQoLDA0ODx")]
    [TestCase("version:0\ntopic_id: " + KafkaText)]
    [TestCase("garbage\u0000\u0001")]
    public void Read_DamagedFile_ThrowsStorageExceptionNamingIt(string contents)
    {
        File.WriteAllText(FilePath, contents);

        StorageException? e = Assert.Throws<StorageException>(() => PartitionMetadataFile.Read(_dir.Path));

        Assert.That(e!.FilePath, Is.EqualTo(FilePath));
        Assert.That(File.ReadAllText(FilePath), Is.EqualTo(contents), "left as it was");
    }

    [Test]
    public void NewTopicId_IsNeverZeroNorReservedNorStartsWithDash()
    {
        for (int i = 0; i < 10_000; i++)
        {
            Guid id = KafkaUuid.NewTopicId();
            string text = KafkaUuid.ToKafkaString(id);
            Assert.That(id, Is.Not.EqualTo(Guid.Empty).And.Not.EqualTo(KafkaUuid.MetadataTopicId));
            Assert.That(text, Has.Length.EqualTo(22).And.Not.StartWith("-"));
            Assert.That(KafkaUuid.TryParse(text, out Guid parsed) && parsed == id, Is.True, text);
        }
        Assert.That(KafkaUuid.ToKafkaString(KafkaUuid.MetadataTopicId), Is.EqualTo("AAAAAAAAAAAAAAAAAAAAAQ"), "Kafka's METADATA_TOPIC_ID");
    }
}
