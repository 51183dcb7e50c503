using System.Runtime.InteropServices;
using System.Text;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Puts a symbolic link or a hard link to a file outside the store in place of (or beside) each kind of file of a
/// cleanly or uncleanly stopped store, then opens it, produces, commits, flushes, reads everything, runs retention and
/// compaction and closes: every step either works or fails with a <see cref="StorageException"/> naming the entry, and
/// the outside file keeps its bytes, length and modification time. A symbolic link is never removed by the store, and
/// one standing for a file the store reads or writes makes the open fail.
/// </summary>
[TestFixture]
public sealed class HostileDirectoryTests
{
    public enum Kind
    {
        RolledLog, RolledIndex, RolledTimeIndex, ActiveLog, ActiveIndex, ActiveTimeIndex, StraySegment, PartitionCheckpoint,
        TopicConfig, Lock, CleanShutdownMarker, CleanerCheckpoint, OffsetsLog, TmpLeftover, DeletedLeftover, CleanedLeftover,
        Swap, PartitionDirectory, TopicConfigDirectory, ProducerSnapshot, RecoveryPointCheckpoint, LogStartCheckpoint,
        ReplicationCheckpoint, LeaderEpochCheckpoint, PartitionMetadata, ProducerIds,
    }

    public enum Link { Symbolic, Hard }

    public enum Stop { Clean, Unclean }

    private const string TopicName = "t";
    private const string CompactedName = "c";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly DateTime OldTime = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private TempDirectory _clean = null!;
    private TempDirectory _unclean = null!;

    /// <summary>Kinds the loader would only delete (or never reads): a symbolic link there is left in place and the open
    /// goes on. Every other kind is a file the store reads or writes, and a symbolic link there fails the open.</summary>
    private static bool OnlyDeleted(Kind kind) => kind is Kind.TmpLeftover or Kind.DeletedLeftover or Kind.CleanedLeftover;

    /// <summary>Kinds read when first needed, not at open (the producer-id blocks, at a producer's first send): a symbolic
    /// link there fails that step instead.</summary>
    private static bool ReadOnFirstUse(Kind kind) => kind is Kind.ProducerIds;

    private static bool IsDirectory(Kind kind) => kind is Kind.PartitionDirectory or Kind.TopicConfigDirectory;

    [OneTimeSetUp]
    public async Task BuildStores()
    {
        (_clean, _unclean) = await TempDirectory.CleanAndCrashed(path => Open(path), Fill);
    }

    [OneTimeTearDown]
    public void DeleteStores()
    {
        _clean.Dispose();
        _unclean.Dispose();
    }

    private static ValueTask<Broker> Open(string path) => Broker.OpenAsync(new BrokerOptions { DataDirectory = path });

    private static async Task Fill(Broker broker)
    {
        // Small segments so there are rolled ones, and a retention size that the run's produce pushes the oldest past.
        Topic topic = await broker.CreateTopicAsync(TopicName, new TopicConfig { SegmentBytes = 1500, IndexIntervalBytes = 64, RetentionBytes = 15_000 });
        for (int i = 0; i < 40; i++)
            await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(i * 4, 4, Batches.BaseTime + i * 4, valueSize: 100)));
        Topic compacted = await broker.CreateTopicAsync(CompactedName, new TopicConfig { CleanupPolicy = CleanupPolicy.Compact, SegmentBytes = 200, MinCleanableDirtyRatio = 0 });
        await AppendKeyed(compacted, 12);
        broker.Retention.Cleaner.CleanDirtyLogs(CancellationToken.None);
        await Commit(broker, 7);
        await broker.FlushAsync();
    }

    private static async Task AppendKeyed(Topic topic, int count)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None);
        for (int i = 0; i < count; i++)
        {
            builder.Reset();
            builder.Append(Batches.BaseTime + i, Encoding.UTF8.GetBytes($"k{i % 2}"), Encoding.UTF8.GetBytes($"v{i}"));
            await topic.Partitions[0].AppendAsync(builder.Build());
        }
    }

    private static async Task Commit(Broker broker, long offset)
    {
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "g", EnableAutoCommit = false });
        consumer.Assign([new TopicPartitionOffset(new TopicPartition(TopicName, 0), 0)]);
        consumer.Commit([new TopicPartitionOffset(new TopicPartition(TopicName, 0), offset)]);
    }

    public static IEnumerable<TestCaseData> Cases() =>
        from stop in Enum.GetValues<Stop>()
        from kind in Enum.GetValues<Kind>()
        from link in Enum.GetValues<Link>()
        where !(IsDirectory(kind) && link == Link.Hard)
        select new TestCaseData(stop, kind, link).SetArgDisplayNames(stop.ToString(), kind.ToString(), link.ToString());

    [TestCaseSource(nameof(Cases))]
    [CancelAfter(60_000)]
    public async Task Open_LinkOutOfTheStore_FailsTypedOrIgnoresItAndNeverTouchesTheTarget(Stop stop, Kind kind, Link link)
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "hard links are made with link(2)");
        using TempDirectory store = (stop == Stop.Clean ? _clean : _unclean).CrashImage();
        using var outside = new TempDirectory();
        string entry = Locate(store, kind);
        string target = outside.Combine("target");
        Plant(entry, target, link, kind);
        Dictionary<string, (byte[] Bytes, DateTime Modified)> before = Snapshot(target);

        string? failure = await OpenAndUse(store.Path, entry);
        if (link == Link.Symbolic && ReadOnFirstUse(kind))
            Assert.That(failure, Does.StartWith("produce:"), "a link standing for a file of the store did not fail its first use");
        else if (link == Link.Symbolic && !OnlyDeleted(kind))
            Assert.That(failure, Does.StartWith("open:"), "a link standing for a file of the store did not fail the open");

        Assert.That(SameFiles(before, Snapshot(target)), Is.True, $"the file outside the store was changed ({failure ?? "no step failed"})");
        if (link == Link.Symbolic)
            Assert.That(new FileInfo(entry).LinkTarget, Is.EqualTo(target), "the store removed or replaced the link");
        TestContext.Out.WriteLine($"RESULT {stop} {kind} {link}: {failure ?? "every step works"}");
    }

    /// <summary>What .NET's recursive delete does with links, which a topic deletion relied on: a link inside is
    /// unlinked, never entered, and a link as the root is removed as a link. The store no longer lets it remove links
    /// (see the tests below), but must never depend on it following one either.</summary>
    [Test]
    public void DirectoryDelete_Recursive_RemovesLinksWithoutEnteringThem()
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links need no privilege");
        using var temp = new TempDirectory();
        string outside = OutsideDirectory(temp);
        Dictionary<string, (byte[] Bytes, DateTime Modified)> before = Snapshot(outside);
        string dir = temp.Combine("dir");
        Directory.CreateDirectory(dir);
        Directory.CreateSymbolicLink(Path.Combine(dir, "inner"), outside);
        File.CreateSymbolicLink(Path.Combine(dir, "file"), Path.Combine(outside, "a"));
        string root = temp.Combine("root");
        Directory.CreateSymbolicLink(root, outside);

        Directory.Delete(dir, recursive: true);
        Directory.Delete(root, recursive: true);

        Assert.That(Directory.Exists(dir) || new FileInfo(root).LinkTarget is not null, Is.False);
        Assert.That(SameFiles(before, Snapshot(outside)), Is.True, "a recursive delete went through a link");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task DeleteTopicAsync_LinksInPartitionDirectory_KeepsLinksAndTargets()
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links need no privilege");
        using var store = new TempDirectory();
        using var temp = new TempDirectory();
        string outside = OutsideDirectory(temp);
        Dictionary<string, (byte[] Bytes, DateTime Modified)> before = Snapshot(outside);
        await using Broker broker = await Open(store.Path);
        Topic topic = await broker.CreateTopicAsync("d");
        await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(0, 4)));
        string partition = store.Combine("d-0");
        Directory.CreateSymbolicLink(Path.Combine(partition, "inner"), outside);
        File.CreateSymbolicLink(Path.Combine(partition, "00000000000000000100.log"), Path.Combine(outside, "a"));

        await broker.DeleteTopicAsync("d");

        Assert.That(SameFiles(before, Snapshot(outside)), Is.True, "deleting the topic changed files outside the store");
        string[] left = Directory.GetDirectories(store.Path, "d-0.*-delete");
        Assert.That(left, Has.Length.EqualTo(1), "the partition directory holding the links should stay, renamed");
        Assert.That(Directory.EnumerateFileSystemEntries(left[0]).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "00000000000000000100.log", "inner" }), "only the links should be left");
        Assert.That(broker.TryGetTopic("d", out _), Is.False);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Open_DeletedPartitionDirectoryIsALink_KeepsTheLinkAndItsTarget()
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links need no privilege");
        using var store = new TempDirectory();
        using var temp = new TempDirectory();
        string outside = OutsideDirectory(temp);
        Dictionary<string, (byte[] Bytes, DateTime Modified)> before = Snapshot(outside);
        string link = store.Combine("d-0.0123456789abcdef0123456789abcdef-delete");
        Directory.CreateSymbolicLink(link, outside);

        await using (Broker broker = await Open(store.Path))
            Assert.That(broker.Topics, Is.Empty);

        Assert.That(new FileInfo(link).LinkTarget, Is.EqualTo(outside), "the link was removed");
        Assert.That(SameFiles(before, Snapshot(outside)), Is.True, "the open deleted files outside the store");
    }

    /// <summary>A FIFO where a file is read at open (the checkpoint): a plain open for reading would wait forever for
    /// a writer. The open fails typed instead, naming it.</summary>
    [Test]
    [CancelAfter(60_000)]
    public async Task Open_FifoInPlaceOfCheckpoint_FailsTypedWithoutBlocking()
    {
        Assume.That(OperatingSystem.IsLinux(), "O_NONBLOCK guards the open on Linux");
        using TempDirectory store = _unclean.CrashImage();
        // A store of an earlier version, whose partition.checkpoint is read at open.
        CheckpointFiles.DeleteRecoveryPoints(store.Path);
        string fifo = store.Combine(TopicName + "-0", "partition.checkpoint");
        Assert.That(MakeFifo(fifo, 0x1B6), Is.EqualTo(0), "mkfifo failed");
        try
        {
            // On a thread of its own: an open that blocks would otherwise block the test before it can time out.
            Task<Broker> open = Task.Run(() => Open(store.Path).AsTask());
            Assert.That(await Task.WhenAny(open, Task.Delay(Timeout)), Is.SameAs(open), "the open blocked on the FIFO");
            // The partition stands offline (issue 18 item 4), its error naming the FIFO.
            await using Broker broker = await open;
            Partition partition = broker.Topics.Single(t => t.Name == TopicName).Partitions[0];
            var e = Assert.Throws<PartitionOfflineException>(() => _ = partition.LogEndOffset);
            Assert.That(e!.FilePath, Is.EqualTo(fifo));
        }
        finally
        {
            // Releases an open blocked on the FIFO, if any (O_WRONLY | O_NONBLOCK: fails at once without a reader).
            int fd = OpenFile(fifo, 0x801);
            if (fd >= 0)
                _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, int mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    /// <summary>A directory outside the store with two files, as old as <see cref="OldTime"/>.</summary>
    private static string OutsideDirectory(TempDirectory temp)
    {
        string outside = temp.Combine("outside");
        Directory.CreateDirectory(outside);
        foreach (string name in (string[])["a", "b"])
        {
            File.WriteAllText(Path.Combine(outside, name), "outside " + name);
            File.SetLastWriteTimeUtc(Path.Combine(outside, name), OldTime);
        }
        return outside;
    }

    /// <summary>Opens the store and uses it; returns null when every step worked, else "step: message" of the
    /// <see cref="StorageException"/> naming <paramref name="entry"/> that stopped it. Any other failure fails the test.</summary>
    private static async Task<string?> OpenAndUse(string dataDirectory, string entry)
    {
        Broker broker;
        try
        {
            broker = await Open(dataDirectory).AsTask().WaitAsync(Timeout);
        }
        catch (Exception e)
        {
            return "open: " + Named(e, entry);
        }
        // The open isolates partitions (issue 18 item 4): a refused entry takes only its partition offline.
        if (broker.Topics.SelectMany(t => t.Partitions).FirstOrDefault(p => p.IsOffline) is { } offline)
        {
            await using (broker)
                return "open: offline: " + Named(Assert.Throws<PartitionOfflineException>(() => _ = offline.LogEndOffset)!, entry);
        }
        string step = "produce";
        await using (broker)
        {
            try
            {
                Topic topic = broker.Topics.Single(t => t.Name == TopicName);
                for (int i = 0; i < 12; i++)
                    await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(1000 + i * 4, 4)));
                await AppendKeyed(broker.Topics.Single(t => t.Name == CompactedName), 6);
                // An idempotent producer's first send takes a producer id block (the producer-ids file).
                await using (IProducer<string, string> producer = broker.CreateProducer<string, string>())
                    await producer.ProduceAsync(TopicName, new Message<string, string> { Value = "idempotent" });
                step = "commit";
                await Commit(broker, 9);
                step = "flush";
                await broker.FlushAsync();
                step = "read";
                await Batches.ReadAll(topic.Partitions[0]);
                step = "retention and compaction";
                Assert.That(broker.Retention.RunOnce(), Is.GreaterThan(0), "retention deleted no segment");
            }
            catch (Exception e) when (e is not AssertionException)
            {
                return step + ": " + Named(e, entry);
            }
        }
        return null;
    }

    /// <summary>The message of the StorageException in <paramref name="e"/>, which must name <paramref name="entry"/>.</summary>
    private static string Named(Exception e, string entry)
    {
        Exception? found = e;
        while (found is not null and not StorageException)
            found = found.InnerException;
        Assert.That(found, Is.Not.Null, $"failed with an untyped error: {e}");
        var storage = (StorageException)found!;
        // A committed swap is renamed to its segment's name before the segment is opened.
        string named = entry.EndsWith(".swap", StringComparison.Ordinal) ? entry[..^".swap".Length] : entry;
        Assert.That(storage.FilePath is { } path && (path == entry || path == named), Is.True, $"the error does not name {entry}: {storage}");
        return storage.Message;
    }

    private static string Locate(TempDirectory store, Kind kind)
    {
        string partition = store.Combine(TopicName + "-0");
        string[] logs = [.. Directory.EnumerateFiles(partition, "*.log").Order(StringComparer.Ordinal)];
        Assert.That(logs, Has.Length.GreaterThan(3), "the store has too few segments");
        string active = Path.GetFileNameWithoutExtension(logs[^1]);
        string first = Path.GetFileNameWithoutExtension(logs[0]);
        return kind switch
        {
            Kind.RolledLog => Path.Combine(partition, first + ".log"),
            Kind.RolledIndex => Path.Combine(partition, first + ".index"),
            Kind.RolledTimeIndex => Path.Combine(partition, first + ".timeindex"),
            Kind.ActiveLog => Path.Combine(partition, active + ".log"),
            Kind.ActiveIndex => Path.Combine(partition, active + ".index"),
            Kind.ActiveTimeIndex => Path.Combine(partition, active + ".timeindex"),
            Kind.StraySegment => Path.Combine(partition, "00000000000000099999.log"),
            Kind.PartitionCheckpoint => Path.Combine(partition, "partition.checkpoint"),
            Kind.TopicConfig => store.Combine("topic-configs", TopicName + ".conf"),
            Kind.Lock => store.Combine(".lock"),
            Kind.CleanShutdownMarker => store.Combine(".logstore_cleanshutdown"),
            Kind.CleanerCheckpoint => store.Combine("cleaner-offset-checkpoint"),
            Kind.OffsetsLog => Directory.EnumerateFiles(store.Path, "*.log", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(Path.GetDirectoryName(f)!).StartsWith("__consumer_offsets-", StringComparison.Ordinal))
                .MaxBy(f => new FileInfo(f).Length)!,
            Kind.TmpLeftover => Path.Combine(partition, "0123456789abcdef.tmp"),
            Kind.DeletedLeftover => Path.Combine(partition, "00000000000000000001.log.deleted"),
            Kind.CleanedLeftover => store.Combine(CompactedName + "-0", "00000000000000000000.log.cleaned"),
            Kind.Swap => Path.Combine(partition, first + ".log.swap"),
            Kind.PartitionDirectory => partition,
            Kind.ProducerSnapshot => Directory.EnumerateFiles(partition, "*.snapshot").Order(StringComparer.Ordinal).Last(),
            Kind.TopicConfigDirectory => store.Combine("topic-configs"),
            Kind.RecoveryPointCheckpoint => store.Combine("recovery-point-offset-checkpoint"),
            Kind.LogStartCheckpoint => store.Combine("log-start-offset-checkpoint"),
            Kind.ReplicationCheckpoint => store.Combine("replication-offset-checkpoint"),
            Kind.LeaderEpochCheckpoint => Path.Combine(partition, "leader-epoch-checkpoint"),
            Kind.PartitionMetadata => Path.Combine(partition, "partition.metadata"),
            Kind.ProducerIds => store.Combine("producer-ids"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    /// <summary>Moves the entry's file (or directory) out to <paramref name="target"/> — a file the store does not
    /// have gets some bytes — and links the entry to it. The target's modification time is set in the past, so any
    /// write shows even within the file system's time resolution.</summary>
    private static void Plant(string entry, string target, Link link, Kind kind)
    {
        if (IsDirectory(kind))
        {
            Directory.Move(entry, target);
            foreach (string file in Directory.EnumerateFiles(target))
                File.SetLastWriteTimeUtc(file, OldTime);
            Directory.CreateSymbolicLink(entry, target);
            return;
        }
        string source = kind == Kind.Swap ? entry[..^".swap".Length] : entry;
        byte[] bytes = File.Exists(source) ? File.ReadAllBytes(source) : Encoding.UTF8.GetBytes("a file outside the store\n");
        File.WriteAllBytes(target, bytes);
        File.SetLastWriteTimeUtc(target, OldTime);
        if (File.Exists(entry))
            File.Delete(entry);
        if (link == Link.Symbolic)
            File.CreateSymbolicLink(entry, target);
        else if (HardLink(target, entry) != 0)
            Assert.Fail($"link(2) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private static Dictionary<string, (byte[] Bytes, DateTime Modified)> Snapshot(string target) =>
        (Directory.Exists(target) ? Directory.GetFiles(target) : [target])
            .ToDictionary(f => Path.GetFileName(f), f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));

    private static bool SameFiles(Dictionary<string, (byte[] Bytes, DateTime Modified)> a, Dictionary<string, (byte[] Bytes, DateTime Modified)> b) =>
        a.Count == b.Count && a.All(e => b.TryGetValue(e.Key, out var o) && o.Modified == e.Value.Modified && o.Bytes.AsSpan().SequenceEqual(e.Value.Bytes));

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int HardLink(string existing, string created);
}
