using LogStore.Retention;
using LogStore.Storage.Checkpoints;
using LogStore.Storage.Files;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace LogStore.Tests.Storage.Checkpoints;

/// <summary>Per-data-directory offset checkpoints read defensively: hostile entries and malformed files are ignored and logged.</summary>
[TestFixture]
public sealed class OffsetCheckpointsTests
{
    private const int EntryIgnored = 1232;
    private const int FileIgnored = 1233;
    private TempDirectory _dir = null!;
    private CapturingLoggerFactory _logs = null!;
    private ILogger _logger = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _logs = new CapturingLoggerFactory();
        _logger = _logs.CreateLogger("test");
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private Dictionary<TopicPartition, long> ReadCleaner(string text)
    {
        File.WriteAllText(_dir.Combine(CleanerCheckpoint.FileName), text);
        return CleanerCheckpoint.Read(new DiskFileSystem(), _dir.Path, _logger);
    }

    [Test]
    public void CleanerCheckpoint_IsKafkasOffsetCheckpoint_SortedByTopicAndPartition()
    {
        var offsets = new Dictionary<TopicPartition, long> { [new("b", 1)] = 7, [new("a", 10)] = 3, [new("a", 2)] = 5 };
        CleanerCheckpoint.Write(new DiskFileSystem(), _dir.Path, offsets);

        Assert.That(File.ReadAllText(_dir.Combine("cleaner-offset-checkpoint")), Is.EqualTo("0\n3\na 2 5\na 10 3\nb 1 7\n"));
        Assert.That(CleanerCheckpoint.Read(new DiskFileSystem(), _dir.Path, _logger), Is.EqualTo(offsets));
    }

    [TestCase("../etc 0 5", TestName = "HostileEntry_TopicThatIsNoValidName_IsIgnored")]
    [TestCase("t -1 5", TestName = "HostileEntry_NegativePartition_IsIgnored")]
    [TestCase("t 1 -5", TestName = "HostileEntry_NegativeOffset_IsIgnored")]
    [TestCase("t 1 9223372036854775807", TestName = "HostileEntry_HugeOffset_IsIgnored")]
    [TestCase("t 0 99", TestName = "HostileEntry_SecondEntryForAPartition_IsIgnored")]
    public void HostileEntry_IsIgnoredAlone_AndLogged(string hostile)
    {
        Dictionary<TopicPartition, long> read = ReadCleaner($"0\n2\nt 0 42\n{hostile}\n");

        Assert.That(read, Is.EqualTo(new Dictionary<TopicPartition, long> { [new("t", 0)] = 42 }));
        Assert.That(_logs.WithId(EntryIgnored), Has.Count.EqualTo(1));
    }

    [TestCase("0\n2\nt 0 42\n", TestName = "MalformedFile_CountDisagrees_IsIgnoredWhole")]
    [TestCase("1\n1\nt 0 42\n", TestName = "MalformedFile_UnknownVersion_IsIgnoredWhole")]
    [TestCase("garbage", TestName = "MalformedFile_Garbage_IsIgnoredWhole")]
    public void MalformedFile_IsIgnoredWhole_AndLogged(string text)
    {
        Assert.That(ReadCleaner(text), Is.Empty);
        Assert.That(_logs.WithId(FileIgnored), Has.Count.EqualTo(1));
        Assert.That(File.ReadAllText(_dir.Combine(CleanerCheckpoint.FileName)), Is.EqualTo(text), "left for the next write to replace");
    }

    [Test]
    public void MissingFile_IsEmpty_Silently()
    {
        Assert.That(CleanerCheckpoint.Read(new DiskFileSystem(), _dir.Path, _logger), Is.Empty);
        Assert.That(_logs.Entries, Is.Empty);
    }
}
