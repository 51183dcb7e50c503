using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The open files and memory mappings of many partitions stay within <see cref="BrokerOptions.MaxOpenSegmentFiles"/>
/// (issue 18, "Many partitions"): every segment file — the active segments' logs and writable indexes included — is
/// closed by the broker's cache when idle and reopened on its next use. Counted from <c>/proc/self/fd</c> and
/// <c>/proc/self/maps</c>, so Linux only; only entries under the test's own directory count, so tests running meanwhile
/// in the same process change nothing.
/// </summary>
[TestFixture]
public sealed class OpenFileLimitTests
{
    private const int Limit = 16;
    private const int Partitions = 60;

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp()
    {
        Assume.That(OperatingSystem.IsLinux(), "/proc/self/fd and /proc/self/maps are Linux's");
        _dir = new TempDirectory();
    }

    [TearDown]
    public void TearDown() => _dir?.Dispose();

    [Test]
    public async Task ManyPartitionsAppendedRolledAndRead_OpenFilesAndMappingsStayWithinMaxOpenSegmentFiles()
    {
        int batchSize = Batches.Make(0, 4).Length;
        // An index entry for every batch after the first, and a roll every three batches: each partition has rolled and
        // active segments with non-empty indexes.
        var config = new TopicConfig { Partitions = Partitions, IndexIntervalBytes = 1, SegmentBytes = batchSize * 3 + 8 };
        long end = 0;
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, MaxOpenSegmentFiles = Limit }))
        {
            Topic topic = await broker.CreateTopicAsync("t", config);
            for (int round = 0; round < 8; round++)
            {
                foreach (Partition p in topic.Partitions)
                    end = (await p.AppendAsync(Batches.Batch(Batches.Make(round * 4, 4)))).LastOffset + 1;
            }
            await broker.FlushAsync();
            foreach (Partition p in topic.Partitions)
            {
                Assert.That((await Batches.ReadAll(p, 0)).Count, Is.EqualTo(end));
                Assert.That(p.Segments.Count, Is.GreaterThan(1));
                // From the middle of the active segment: an offset-index lookup, so index mappings are opened too.
                Assert.That((await Batches.ReadAll(p, end - 3)).Count, Is.EqualTo(3));
            }

            (int fds, int maps) = CountOpen();
            TestContext.Out.WriteLine($"{Partitions} partitions, MaxOpenSegmentFiles {Limit}: {fds} open files, {maps} mappings under the data directory");
            // The one file outside the cache is the data directory's lock.
            Assert.That(fds, Is.LessThanOrEqualTo(Limit + 1), "open files");
            Assert.That(maps, Is.LessThanOrEqualTo(Limit), "memory mappings");
            Assert.That(maps, Is.GreaterThan(0), "the reads used indexes, so some are mapped: the count sees mappings");
        }
        Assert.That(CountOpen(), Is.EqualTo((0, 0)), "a disposed Broker holds nothing");

        await using (Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, MaxOpenSegmentFiles = Limit }))
        {
            (int fds, int maps) = CountOpen();
            Assert.That(fds, Is.LessThanOrEqualTo(Limit + 1), "open files after a reopen");
            Assert.That(maps, Is.LessThanOrEqualTo(Limit), "memory mappings after a reopen");
            foreach (Partition p in reopened.Topics.Single().Partitions)
                Assert.That((await Batches.ReadAll(p, 0)).Count, Is.EqualTo(end));
        }
    }

    /// <summary>Open descriptors and mapping lines of this process that name a file under the test's directory.</summary>
    private (int Fds, int Maps) CountOpen()
    {
        string prefix = _dir.Path + "/";
        int fds = 0;
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith(prefix, StringComparison.Ordinal))
                    fds++;
            }
            catch (IOException)
            {
                // Closed while we listed it (another test's file): not ours.
            }
        }
        int maps = File.ReadLines("/proc/self/maps").Count(line => line.Contains(prefix, StringComparison.Ordinal));
        return (fds, maps);
    }
}
