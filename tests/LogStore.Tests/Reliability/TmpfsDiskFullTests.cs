using System.Diagnostics;
using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's full disk on a real file system: a small tmpfs is mounted, filled by appends to the last byte, and freed.
/// The kernel, not a test double, says ENOSPC here (<see cref="DiskFaultTests"/> injects it through the file seam).
/// Needs Linux and the right to mount (root, or CAP_SYS_ADMIN); elsewhere every test is ignored with the reason.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class TmpfsDiskFullTests
{
    private const int MountBytes = 8 << 20;
    private const int BallastBytes = 1 << 20;
    private const int ValueSize = 4000;
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    private string _mount = null!;
    private string _data = null!;
    private string _ballast = null!;
    private bool _mounted;

    [SetUp]
    public void SetUp()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("The tmpfs full-disk tests need Linux (mount -t tmpfs); DiskFaultTests covers a full disk everywhere.");
        _mount = Path.Combine(Path.GetTempPath(), "logstore-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_mount);
        (int code, string output) = Run("mount", $"-t tmpfs -o size={MountBytes},mode=0700 logstore-test \"{_mount}\"");
        if (code != 0)
        {
            Directory.Delete(_mount);
            Assert.Ignore($"Cannot mount a {MountBytes >> 20} MiB tmpfs (needs root or CAP_SYS_ADMIN; exit {code}: {output.Trim()}). " +
                "DiskFaultTests covers a full disk through the injected file system.");
        }
        _mounted = true;
        _data = Path.Combine(_mount, "data");
        _ballast = Path.Combine(_mount, "ballast");
        // Space to give back later, as an operator deletes other files on a full disk.
        File.WriteAllBytes(_ballast, new byte[BallastBytes]);
    }

    [TearDown]
    public void TearDown()
    {
        if (!_mounted)
            return;
        (int code, _) = Run("umount", $"\"{_mount}\"");
        if (code != 0)
            Run("umount", $"-l \"{_mount}\""); // something still holds a file open: detach now, freed when closed
        _mounted = false;
        try
        {
            Directory.Delete(_mount, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaning: an empty directory.
        }
    }

    private ValueTask<Broker> Open() => Broker.OpenAsync(new BrokerOptions { DataDirectory = _data });

    private static readonly TopicConfig Config = new() { SegmentBytes = 1 << 20, SegmentIndexBytes = 64 << 10 };

    private static RecordBatch Batch(long first) => Batches.Batch(Batches.Make((int)first, 4, Batches.BaseTime + first, ValueSize));

    /// <summary>Appends until the disk is full; returns the log end and the failure.</summary>
    private static async Task<(long End, StorageException Failure)> Fill(Partition partition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Guard)
        {
            long end = partition.LogEndOffset;
            try
            {
                await partition.AppendAsync(Batch(end));
            }
            catch (StorageException e) when (DiskErrors.IsDiskFull(e))
            {
                Assert.That(partition.LogEndOffset, Is.EqualTo(end), "a failed append assigns no offsets");
                return (end, e);
            }
        }
        Assert.Fail($"The {MountBytes >> 20} MiB tmpfs never filled.");
        return default;
    }

    private static async Task AssertReadable(Partition partition, long expectedEnd)
    {
        Assert.That(partition.LogEndOffset, Is.EqualTo(expectedEnd));
        var records = await Batches.ReadAll(partition, 0);
        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, (int)expectedEnd).Select(i => (long)i)));
        Assert.That(records.All(r => r.Key == $"k{r.Offset}" && r.Value.StartsWith($"v{r.Offset}.", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task FullTmpfs_CreateTopicFailsTyped_LeavesNothing_TheStoreReopens_AndTheRetrySucceedsOnceFreed()
    {
        var fourPartitions = new TopicConfig { Partitions = 4, SegmentBytes = 1 << 20, SegmentIndexBytes = 64 << 10 };
        long end;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", Config)).Partitions[0];
            (end, _) = await Fill(p);

            // Sparse indexes make a create need almost no space: it either succeeds whole or fails typed leaving nothing.
            Exception? e = null;
            try
            {
                await broker.CreateTopicAsync("more", fourPartitions);
                await broker.DeleteTopicAsync("more");
            }
            catch (StorageException caught)
            {
                e = caught;
            }
            if (e is not null)
                Assert.That(DiskErrors.IsDiskFull(e), Is.True, e.ToString());
            Assert.That(File.Exists(Path.Combine(_data, "topic-configs", "more.conf")), Is.False, "the configuration is removed");
            Assert.That(Directory.EnumerateDirectories(_data, "more-*"), Is.Empty, "the partition directories are removed");
            Assert.That(broker.TryGetTopic("more", out _), Is.False);
        }

        await using (Broker reopened = await Open().AsTask().WaitAsync(Guard))
        {
            Assert.That(reopened.Topics.Select(t => t.Name), Is.EqualTo(new[] { "t" }));
            await AssertReadable(reopened.Topics.Single().Partitions[0], end);
            File.Delete(_ballast);
            Topic more = await reopened.CreateTopicAsync("more", fourPartitions);
            Assert.That(more.Partitions.Select(p => p.IsOffline), Is.EqualTo(new[] { false, false, false, false }));
        }
    }

    [Test]
    public async Task FullTmpfs_AppendFailsTyped_LogStaysReadable_BrokerReopensOnTheFullDisk_AndWritingResumesOnceFreed()
    {
        long end;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", Config)).Partitions[0];
            (end, StorageException failure) = await Fill(p);
            TestContext.Out.WriteLine($"The {MountBytes >> 20} MiB tmpfs was full after {end:N0} records of {ValueSize} B: {failure.Message}");
            Assert.That(end, Is.GreaterThan(0));
            Assert.That(failure.FilePath, Does.StartWith(_data), failure.Message);
            Assert.That(failure.InnerException, Is.InstanceOf<IOException>());
            await AssertReadable(p, end);
            Assert.That(async () => await p.AppendAsync(Batch(end)), Throws.TypeOf<StorageException>(), "still full");
            // Closing may or may not find room for the checkpoint; either way it must not hang or lose records.
            try
            {
                await broker.DisposeAsync().AsTask().WaitAsync(Guard);
            }
            catch (StorageException)
            {
            }
        }

        // Kafka cannot start here (its recovery writes); a Broker opens, serves reads and refuses appends typed.
        await using (Broker full = await Open().AsTask().WaitAsync(Guard))
        {
            Partition p = full.Topics.Single().Partitions[0];
            await AssertReadable(p, end);
            Exception? e = Assert.CatchAsync(async () => await p.AppendAsync(Batch(end)));
            Assert.That(e, Is.TypeOf<StorageException>(), e?.ToString());
            Assert.That(DiskErrors.IsDiskFull(e), Is.True, e?.ToString());

            File.Delete(_ballast);
            long resumed = end;
            for (int i = 0; i < 5; i++)
                resumed = (await p.AppendAsync(Batch(resumed))).LastOffset + 1;
            await p.FlushAsync();
            await AssertReadable(p, resumed);
            end = resumed;
        }

        await using (Broker reopened = await Open())
            await AssertReadable(reopened.Topics.Single().Partitions[0], end);
        Assert.That(File.Exists(Path.Combine(_data, ".logstore_cleanshutdown")), Is.True, "the close after space was freed is clean");
    }

    [Test]
    public async Task FullTmpfs_FlushAndCloseNeverHang_AndACrashOnTheFullDiskRecovers()
    {
        long end;
        Broker broker = await Open();
        try
        {
            Partition p = (await broker.CreateTopicAsync("t", Config)).Partitions[0];
            (end, _) = await Fill(p);
            // Everything written is in the page cache of tmpfs: a flush has nothing to allocate and succeeds.
            await p.FlushAsync().AsTask().WaitAsync(Guard);
            using var cancel = new CancellationTokenSource(Guard);
            await broker.FlushAsync(cancel.Token);
        }
        finally
        {
            // Stands in for the crash: the close's result is not looked at, and the marker removed.
            try
            {
                await broker.DisposeAsync().AsTask().WaitAsync(Guard);
            }
            catch (StorageException)
            {
            }
        }
        File.Delete(Path.Combine(_data, ".logstore_cleanshutdown"));

        await using Broker recovered = await Open().AsTask().WaitAsync(Guard);
        Partition partition = recovered.Topics.Single().Partitions[0];
        await AssertReadable(partition, end);
        File.Delete(_ballast);
        await partition.AppendAsync(Batch(end));
        await AssertReadable(partition, end + 4);
    }

    [Test]
    public async Task CreateTopicAsync_DefaultIndexSizeOnASmallDisk_IndexesTakeOnlyWhatTheirEntriesNeed()
    {
        // segment.index.bytes is 10 MiB by default: when each active index reserved it, not one partition fit on this disk.
        var config = new TopicConfig { Partitions = 50 };
        long end = 0;
        await using (Broker broker = await Open())
        {
            Topic topic = await broker.CreateTopicAsync("t", config);
            foreach (Partition p in topic.Partitions)
                end = (await p.AppendAsync(Batch(0))).LastOffset + 1;
            // Batches of 4 records of 4,000 bytes pass index.interval.bytes: the second and third get index entries.
            end = (await topic.Partitions[0].AppendAsync(Batch(end))).LastOffset + 1;
            end = (await topic.Partitions[0].AppendAsync(Batch(end))).LastOffset + 1;
            await broker.FlushAsync();
        }
        string first = Path.Combine(_data, "t-0");
        Assert.That(new FileInfo(Path.Combine(first, "00000000000000000000.index")).Length, Is.EqualTo(16), "trimmed to its two entries at close");

        await using (Broker reopened = await Open())
        {
            Topic topic = reopened.Topics.Single();
            await AssertReadable(topic.Partitions[0], end);
            foreach (Partition p in topic.Partitions.Skip(1))
                await AssertReadable(p, 4);
        }
    }

    private static (int ExitCode, string Output) Run(string program, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return (-1, $"{program} did not finish in 10 s");
            }
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"cannot run {program}: {e.Message}");
        }
    }
}
