using System.Diagnostics;
using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's full disk and I/O errors, through the storage engine's file seam (<see cref="FaultInjectingFileSystem"/>):
/// appends on a full disk fail typed and leave the log readable with nothing partial visible, a Broker opens on a full
/// disk, writing resumes with dense offsets once space is freed, failed fsyncs and checkpoints are handled as
/// tests/RELIABILITY.md describes, and no flush or wait outlives its cancellation token when an fsync hangs.
/// The real small filesystem (tmpfs) is in <see cref="TmpfsDiskFullTests"/>.
/// </summary>
[TestFixture]
public sealed class DiskFaultTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    private TempDirectory _dir = null!;
    private FaultInjectingFileSystem _files = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory();
        _files = new FaultInjectingFileSystem();
    }

    [TearDown]
    public void TearDown()
    {
        _files.ReleaseFsyncs();
        _dir.Dispose();
    }

    private static readonly TopicConfig SmallIndexes = new() { SegmentIndexBytes = 4096, IndexIntervalBytes = 256 };

    // The default index.interval.bytes: a few small batches get no index entry, so only the log takes space (an index
    // file grows by a step when its first entry is due).
    private static readonly TopicConfig NoIndexEntries = new() { SegmentIndexBytes = 4096 };

    private ValueTask<Broker> Open(FileSystem? files = null) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, FileSystem = files ?? _files });

    private static async Task<long> AppendBatches(Partition partition, int batches, int recordsPerBatch = 4)
    {
        for (int i = 0; i < batches; i++)
        {
            int first = (int)partition.LogEndOffset;
            AppendResult result = await partition.AppendAsync(Batches.Batch(Batches.Make(first, recordsPerBatch, Batches.BaseTime + first)));
            Assert.That(result.BaseOffset, Is.EqualTo(first), "offsets stay dense");
        }
        return partition.LogEndOffset;
    }

    /// <summary>Every record from 0 to the log end carries key k{offset}: nothing lost, nothing partial, nothing moved.</summary>
    private static async Task AssertDenseRecords(Partition partition, long expectedEnd)
    {
        Assert.That(partition.LogEndOffset, Is.EqualTo(expectedEnd));
        var records = await Batches.ReadAll(partition, 0);
        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, (int)expectedEnd).Select(i => (long)i)));
        Assert.That(records.All(r => r.Key == $"k{r.Offset}" && r.Value == $"v{r.Offset}"), Is.True, "a record's content changed");
    }

    private static StorageException AssertDiskFull(Exception? e, string expectedFileSuffix)
    {
        Assert.That(e, Is.TypeOf<StorageException>());
        var storage = (StorageException)e!;
        Assert.That(storage.FilePath, Does.EndWith(expectedFileSuffix), storage.Message);
        Assert.That(storage.InnerException, Is.InstanceOf<IOException>());
        Assert.That(DiskErrors.IsDiskFull(storage), Is.True, "the cause is ENOSPC");
        return storage;
    }

    private string ActiveLogFile(Partition partition) => partition.Segments[^1].LogPath;

    [Test]
    public async Task AppendAsync_DiskFillsMidBatch_ThrowsStorageExceptionNamingTheLogAndNothingPartialIsVisible()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0];
        long end = await AppendBatches(p, 10);
        string log = ActiveLogFile(p);
        long sizeBefore = new FileInfo(log).Length;

        _files.SpaceLeft = 20; // a batch is ~100 bytes: the write is cut short after 20
        Exception? e = Assert.CatchAsync(async () => await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 4))));
        AssertDiskFull(e, ".log");
        Assert.That(((StorageException)e!).FilePath, Is.EqualTo(log));

        Assert.That(p.LogEndOffset, Is.EqualTo(end), "a failed append assigns no offsets");
        Assert.That(new FileInfo(log).Length, Is.EqualTo(sizeBefore), "the part of the batch that reached the file was cut off");
        await AssertDenseRecords(p, end);
        using (FetchResult atEnd = await p.ReadAsync(end, 1 << 20))
            Assert.That(atEnd.IsEmpty, Is.True, "nothing past the last whole batch is served");
        Assert.That(async () => await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 4))), Throws.TypeOf<StorageException>());

        _files.FreeSpace();
        long resumed = await AppendBatches(p, 5);
        await AssertDenseRecords(p, resumed);
    }

    [Test]
    public async Task AppendAsync_DiskFullWhenTheSegmentRolls_FailsTheAppendNamingTheLogAndResumesInTheNewSegment()
    {
        // Exactly five batches fill the first segment (keys grow with offsets, so batch sizes do too): the sixth rolls.
        int fiveBatches = Enumerable.Range(0, 5).Sum(i => Batches.Make(i * 4, 4, Batches.BaseTime + i * 4).Length);
        int batchSize = Batches.Make(20, 4, Batches.BaseTime + 20).Length;
        long resumed;
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = fiveBatches, SegmentIndexBytes = 4096 })).Partitions[0];
            long end = await AppendBatches(p, 5);
            Assert.That(p.Segments.Count, Is.EqualTo(1));
            // A roll takes no space (a new segment's indexes grow with their entries), so the batch is what fails.
            _files.SpaceLeft = batchSize / 2;

            Exception? e = Assert.CatchAsync(async () => await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 4))));
            AssertDiskFull(e, ".log");
            Assert.That(p.LogEndOffset, Is.EqualTo(end));
            await AssertDenseRecords(p, end);
            Assert.That(async () => await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 4))), Throws.TypeOf<StorageException>(),
                "the append is tried again, and fails again, while the disk is full");

            _files.FreeSpace();
            resumed = await AppendBatches(p, 7);
            await AssertDenseRecords(p, resumed);
            Assert.That(p.Segments.Count, Is.GreaterThanOrEqualTo(2));
            Assert.That(p.Segments[1].BaseOffset, Is.EqualTo(end), "the new segment starts where the failed roll would have");
        }
        await using (Broker reopened = await Open(FileSystem.Disk))
            await AssertDenseRecords(reopened.Topics.Single().Partitions[0], resumed);
    }

    [Test]
    public async Task AppendAsync_DiskFullWhenAnIndexMustGrow_FailsNamingTheIndexWritesNothingAndResumes()
    {
        int batchSize = Batches.Make(0, 4).Length;
        long resumed;
        await using (Broker broker = await Open())
        {
            // An index entry is due at the fourth batch: both index files are still empty and must grow by a step.
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { IndexIntervalBytes = batchSize * 5 / 2 })).Partitions[0];
            long end = await AppendBatches(p, 3);
            string log = ActiveLogFile(p);
            long sizeBefore = new FileInfo(log).Length;
            _files.SpaceLeft = batchSize * 10; // room for batches, not for an index step

            Exception? e = Assert.CatchAsync(async () => await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 4))));
            AssertDiskFull(e, ".index");
            Assert.That(new FileInfo(log).Length, Is.EqualTo(sizeBefore), "nothing of the batch was written");
            Assert.That(p.LogEndOffset, Is.EqualTo(end));
            await AssertDenseRecords(p, end);
            Assert.That(async () => await p.AppendAsync(Batches.Batch(Batches.Make((int)end, 4))), Throws.TypeOf<StorageException>());

            _files.FreeSpace();
            resumed = await AppendBatches(p, 5);
            await AssertDenseRecords(p, resumed);
        }
        await using (Broker reopened = await Open(FileSystem.Disk))
            await AssertDenseRecords(reopened.Topics.Single().Partitions[0], resumed);
    }

    [Test]
    public async Task OpenAsync_FullDiskAfterCleanShutdown_OpensServesReadsAndResumesWhenSpaceIsFreed()
    {
        await using (Broker broker = await Open())
            await AppendBatches((await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0], 20);
        Assert.That(File.Exists(_dir.Combine(".logstore_cleanshutdown")), Is.True);

        _files.FillDisk();
        int writesBefore = _files.Count(FileOperation.Write);
        await using Broker full = await Open();
        Assert.That(_files.Count(FileOperation.Write), Is.EqualTo(writesBefore), "opening after a clean shutdown writes nothing");
        Partition p = full.Topics.Single().Partitions[0];
        await AssertDenseRecords(p, 80);
        Exception? e = Assert.CatchAsync(async () => await p.AppendAsync(Batches.Batch(Batches.Make(80, 4))));
        Assert.That(e, Is.TypeOf<StorageException>(), e?.ToString());
        Assert.That(DiskErrors.IsDiskFull(e), Is.True);
        Assert.That(p.LogEndOffset, Is.EqualTo(80));

        _files.FreeSpace();
        long end = await AppendBatches(p, 3);
        await AssertDenseRecords(p, end);
    }

    [Test]
    public async Task OpenAsync_FullDiskAfterCrash_RecoversWithoutNeedingSpace()
    {
        using TempDirectory crashed = await CrashedStore(batches: 30);
        var files = new FaultInjectingFileSystem();
        files.FillDisk();
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = crashed.Path, FileSystem = files }))
        {
            Partition p = broker.Topics.Single().Partitions[0];
            await AssertDenseRecords(p, 120);
            Assert.That(async () => await p.AppendAsync(Batches.Batch(Batches.Make(120, 4))), Throws.TypeOf<StorageException>());
            files.FreeSpace();
            await AssertDenseRecords(p, await AppendBatches(p, 2));
        }
        await using (Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = crashed.Path }))
            await AssertDenseRecords(reopened.Topics.Single().Partitions[0], 128);
    }

    /// <summary>A store killed while open, with several segments past its last flush.</summary>
    private static async Task<TempDirectory> CrashedStore(int batches)
    {
        using var source = new TempDirectory();
        Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = source.Path });
        try
        {
            int batchSize = Batches.Make(0, 4).Length;
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = batchSize * 8, SegmentIndexBytes = 4096, IndexIntervalBytes = 128 })).Partitions[0];
            await AppendBatches(p, batches);
            return source.CrashImage();
        }
        finally
        {
            await broker.DisposeAsync();
        }
    }

    [Test]
    public async Task FlushAsync_FsyncFails_FailsNowAndUntilReopenedThenRecovers()
    {
        await using (Broker broker = await Open())
        {
            Partition p = (await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0];
            await AppendBatches(p, 3);
            await p.FlushAsync();
            await AppendBatches(p, 3);

            _files.Fail(FileOperation.Flush, DiskErrors.Eio, times: 1);
            var e = Assert.ThrowsAsync<StorageException>(async () => await p.FlushAsync());
            Assert.That(e!.InnerException, Is.InstanceOf<IOException>().With.Property(nameof(IOException.HResult)).EqualTo(DiskErrors.Eio));

            // The disk answers again, but the pages of the failed write-back may be gone: a flush must not claim them.
            Assert.That(async () => await p.FlushAsync(), Throws.TypeOf<StorageException>().With.Message.Contains("reopen"));
            Assert.That(async () => await broker.FlushAsync(), Throws.TypeOf<StorageException>());
            await AssertDenseRecords(p, 24);
        }
        Assert.That(File.Exists(_dir.Combine(".logstore_cleanshutdown")), Is.False, "a close after a failed fsync is not clean");
        await using (Broker reopened = await Open())
        {
            Partition p = reopened.Topics.Single().Partitions[0];
            await AssertDenseRecords(p, 24);
            await AppendBatches(p, 1);
            await p.FlushAsync();
        }
    }

    [Test]
    public async Task FlushAsync_FsyncHangs_EveryWaiterHonoursItsCancellationToken()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0];
        await AppendBatches(p, 2);
        _files.BlockFsyncs();

        using var leadCancel = new CancellationTokenSource();
        Task lead = p.FlushAsync(leadCancel.Token).AsTask();
        Assert.That(_files.WaitForBlockedFsync(Guard), Is.True, "the fsync started");
        Assert.That(lead.IsCompleted, Is.False);
        await AppendBatches(p, 1);
        using var joinerCancel = new CancellationTokenSource();
        Task joiner = p.FlushAsync(joinerCancel.Token).AsTask();
        using var brokerCancel = new CancellationTokenSource();
        Task brokerFlush = broker.FlushAsync(brokerCancel.Token).AsTask();

        leadCancel.Cancel();
        joinerCancel.Cancel();
        brokerCancel.Cancel();
        Assert.That(async () => await lead.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await joiner.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(async () => await brokerFlush.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());

        _files.ReleaseFsyncs();
        await p.FlushAsync().AsTask().WaitAsync(Guard);
        Assert.That(p.Log.RecoveryPoint, Is.EqualTo(p.LogEndOffset));
    }

    [Test]
    public async Task ProducerFlushAsync_FsyncHangs_HonoursItsCancellationToken()
    {
        await using Broker broker = await Open();
        await broker.CreateTopicAsync("t", new TopicConfig { SegmentIndexBytes = 4096, FlushMessages = 1 });
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Acks = Acks.All });
        _files.BlockFsyncs();
        Task<DeliveryResult> delivery = producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" }).AsTask();
        Assert.That(_files.WaitForBlockedFsync(Guard), Is.True);

        using var cancel = new CancellationTokenSource();
        Task flush = producer.FlushAsync(cancel.Token).AsTask();
        cancel.Cancel();
        Assert.That(async () => await flush.WaitAsync(Guard), Throws.InstanceOf<OperationCanceledException>());

        _files.ReleaseFsyncs();
        DeliveryResult result = await delivery.WaitAsync(Guard);
        Assert.That(result.Offset, Is.EqualTo(0));
    }

    [Test]
    public async Task ProduceAsync_DiskFull_DeliveryReportsCarryTheStorageException()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0];
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Acks = Acks.All });
        Assert.That((await producer.ProduceAsync("t", new Message<string, string> { Key = "k0", Value = "v0" })).Offset, Is.EqualTo(0));

        _files.FillDisk();
        Exception? e = Assert.CatchAsync(async () => await producer.ProduceAsync("t", new Message<string, string> { Key = "k1", Value = "v1" }));
        AssertDiskFull(e, ".log");
        var reported = new TaskCompletionSource<DeliveryReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        producer.Produce("t", new Message<string, string> { Key = "k1", Value = "v1" }, report => reported.TrySetResult(report));
        await producer.FlushAsync();
        DeliveryReport report = await reported.Task.WaitAsync(Guard);
        AssertDiskFull(report.Error, ".log");
        Assert.That(report.Offset, Is.EqualTo(-1));

        _files.FreeSpace();
        Assert.That((await producer.ProduceAsync("t", new Message<string, string> { Key = "k1", Value = "v1" })).Offset, Is.EqualTo(1),
            "the failed deliveries took no offsets");
        Assert.That(p.LogEndOffset, Is.EqualTo(2));
    }

    // The operation is passed as its int value: FileOperation is internal and a public test method cannot take it.
    [TestCase((int)FileOperation.Write, DiskErrors.Enospc)]
    [TestCase((int)FileOperation.Move, DiskErrors.Eio)]
    [TestCase((int)FileOperation.Flush, DiskErrors.Eio)]
    public async Task FlushAsync_CheckpointCannotBeWritten_RecordsAreStillFlushedAndTheCheckpointIsRetried(int operationValue, int errno)
    {
        var operation = (FileOperation)operationValue;
        int batchSize = Batches.Make(0, 4).Length;
        Broker broker = await Open();
        // Two batches to a segment: the checkpoint is due when the recovery point enters another segment.
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { SegmentBytes = batchSize * 5 / 2, SegmentIndexBytes = 4096 })).Partitions[0];
        string checkpoint = _dir.Path;
        Assert.That(CheckpointedRecoveryPoint(checkpoint), Is.Zero, "a new partition needs no checkpoint: its absence says the same");
        // Temporary files of the atomic replace end in .tmp: only the checkpoint's steps fail, never a segment's fsync.
        // Every attempt fails until healed, so the roll's background flush cannot take the failure meant for this one.
        _files.Fail(operation, errno, pathContains: ".tmp");

        await AppendBatches(p, 3);
        Assert.That(p.Segments.Count, Is.EqualTo(2));
        await p.FlushAsync();
        Assert.That(p.Log.RecoveryPoint, Is.EqualTo(12), "the records are durable");
        Assert.That(CheckpointedRecoveryPoint(checkpoint), Is.Zero, "the checkpoint failed: the previous version stays");

        _files.Heal();
        await AppendBatches(p, 1);
        await p.FlushAsync();
        // 12 when the roll's background flush retried it after the heal, 16 when this flush did.
        Assert.That(CheckpointedRecoveryPoint(checkpoint), Is.InRange(12, 16), "the checkpoint was retried");

        await broker.DisposeAsync();
        // The close rewrites it only when the recovery point entered another segment than the checkpointed one.
        Assert.That(CheckpointedRecoveryPoint(checkpoint), Is.InRange(12, 16));
        Assert.That(Directory.GetFiles(_dir.Path, "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary file is left behind");
        Assert.That(File.Exists(_dir.Combine(".logstore_cleanshutdown")), Is.True);
    }

    // No file: what the loader assumes without one.
    private static long CheckpointedRecoveryPoint(string dataDirectory) => CheckpointFiles.RecoveryPoint(dataDirectory);

    [TestCase((int)FileOperation.Write, DiskErrors.Enospc)]
    [TestCase((int)FileOperation.Flush, DiskErrors.Eio)]
    public async Task Clean_CleanedSegmentCannotBeWritten_LeavesTheLogAsItWas_AndTheNextRunCleans(int operationValue, int errno)
    {
        var operation = (FileOperation)operationValue;
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig
        {
            SegmentBytes = 600, SegmentIndexBytes = 4096, IndexIntervalBytes = 128,
            CleanupPolicy = CleanupPolicy.Compact, MinCleanableDirtyRatio = 0, DeleteRetentionTime = TimeSpan.Zero,
        })).Partitions[0];
        using (var builder = new RecordBatchBuilder())
        {
            for (int i = 0; i < 60; i++)
            {
                builder.Append(Batches.BaseTime, System.Text.Encoding.UTF8.GetBytes($"key{i % 3}"), System.Text.Encoding.UTF8.GetBytes($"v{i}"));
                await p.AppendAsync(builder.Build());
                builder.Reset();
            }
        }
        Assert.That(p.Segments.Count, Is.GreaterThan(3));
        var before = await Batches.ReadAll(p, 0);
        int calls = _files.Count(operation);

        // The cleaner's own files go through the same seam as the log's: a full or failing disk stops the cleaning.
        _files.Fail(operation, errno, pathContains: ".cleaned");
        broker.Retention.RunOnce();
        Assert.That(_files.Count(operation), Is.GreaterThan(calls), "the cleaned segment's writes bypass the file system seam");
        Assert.That((await Batches.ReadAll(p, 0)).Select(r => (r.Offset, r.Value)), Is.EqualTo(before.Select(r => (r.Offset, r.Value))));
        Assert.That(Directory.GetFiles(_dir.Combine("t-0"), "*.cleaned"), Is.Empty, "a failed cleaning leaves no files behind");

        _files.Heal();
        broker.Retention.RunOnce();
        var after = await Batches.ReadAll(p, 0);
        Assert.That(after, Has.Count.LessThan(before.Count), "the next run cleaned");
        Assert.That(after.TakeLast(3).Select(r => r.Value), Is.EqualTo(new[] { "v57", "v58", "v59" }));
    }

    [Test]
    public async Task DisposeAsync_CheckpointCannotBeWritten_ClosesWithoutTheCleanMarkerAndTheNextOpenRecovers()
    {
        Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0];
        await AppendBatches(p, 5);
        _files.Fail(FileOperation.Write, DiskErrors.Enospc, pathContains: ".tmp");

        await broker.DisposeAsync();
        Assert.That(File.Exists(_dir.Combine(".logstore_cleanshutdown")), Is.False, "the marker is written only after a clean close");
        await using Broker reopened = await Open(FileSystem.Disk);
        await AssertDenseRecords(reopened.Topics.Single().Partitions[0], 20);
    }

    [Test]
    public async Task DisposeAsync_EverythingFlushedAndClosed_WritesTheCleanMarkerLast()
    {
        Broker broker = await Open();
        await AppendBatches((await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0], 5);
        int movesBefore = _files.Count(FileOperation.Move);
        await broker.DisposeAsync();
        Assert.That(File.Exists(_dir.Combine(".logstore_cleanshutdown")), Is.True);
        // The producer-state snapshot's rename, the checkpoints' (recovery points, log starts, high watermarks: each
        // written once for the whole store), then the marker's: after a clean close recovery may cut only past the
        // checkpointed recovery point, so it must cover everything flushed.
        Assert.That(_files.Count(FileOperation.Move), Is.EqualTo(movesBefore + 5));
        Assert.That(CheckpointFiles.RecoveryPoint(_dir.Path), Is.EqualTo(20));

        // An idle partition's unchanged checkpoint is not rewritten: only the marker's rename.
        Broker idle = await Open();
        movesBefore = _files.Count(FileOperation.Move);
        await idle.DisposeAsync();
        Assert.That(_files.Count(FileOperation.Move), Is.EqualTo(movesBefore + 1));
    }

    [Test]
    public async Task LogAppend_ManyBatchesOneGatheredWrite_DiskFillsMidway_NoneIsAppendedAndAllGoInOnceFreed()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", NoIndexEntries)).Partitions[0];
        long end = await AppendBatches(p, 2);
        long sizeBefore = new FileInfo(ActiveLogFile(p)).Length;
        RecordBatch[] batches = [.. Enumerable.Range(0, 8).Select(i => Batches.Batch(Batches.Make((int)end + i * 4, 4)))];
        var results = new AppendResult[batches.Length];
        _files.SpaceLeft = batches.Sum(b => b.SizeInBytes) / 2; // the gathered write is cut short half-way

        int appended = p.Log.Append(batches, builtMinTimestamps: default, results, out LogStoreException? error);
        Assert.That(appended, Is.Zero, "one gathered write: all of its batches or none");
        AssertDiskFull(error, ".log");
        Assert.That(new FileInfo(ActiveLogFile(p)).Length, Is.EqualTo(sizeBefore), "the written half was cut off");
        await AssertDenseRecords(p, end);

        _files.FreeSpace();
        appended = p.Log.Append(batches, builtMinTimestamps: default, results, out error);
        Assert.That(error, Is.Null);
        Assert.That(appended, Is.EqualTo(8));
        Assert.That(results.Select(r => r.BaseOffset), Is.EqualTo(Enumerable.Range(0, 8).Select(i => end + i * 4)), "the same offsets, again");
        await AssertDenseRecords(p, end + 32);
    }

    [Test]
    public async Task LogAppend_ManyBatches_DiskFullAtAnIndexStep_KeepsTheBatchesBeforeItAndFailsTheRest()
    {
        int batchSize = Batches.Make(0, 4).Length;
        await using Broker broker = await Open();
        // An index entry is due at the fourth batch (index.interval.bytes below three batches): its index file must grow.
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig { IndexIntervalBytes = batchSize * 5 / 2 })).Partitions[0];
        RecordBatch[] batches = [.. Enumerable.Range(0, 6).Select(i => Batches.Batch(Batches.Make(i * 4, 4)))];
        var results = new AppendResult[batches.Length];
        _files.SpaceLeft = batchSize * 6 + 4; // every batch fits; an index step does not

        int appended = p.Log.Append(batches, builtMinTimestamps: default, results, out LogStoreException? error);
        Assert.That(appended, Is.EqualTo(3), "the run staged before the index step stays appended");
        AssertDiskFull(error, ".index");
        Assert.That(results.Take(3).Select(r => r.BaseOffset), Is.EqualTo(new long[] { 0, 4, 8 }));
        await AssertDenseRecords(p, 12);

        _files.FreeSpace();
        RecordBatch[] rest = [.. Enumerable.Range(3, 3).Select(i => Batches.Batch(Batches.Make(i * 4, 4)))];
        Assert.That(p.Log.Append(rest, builtMinTimestamps: default, results, out error), Is.EqualTo(3));
        Assert.That(error, Is.Null);
        await AssertDenseRecords(p, 24);
        await broker.DisposeAsync();
        await using Broker reopened = await Open(FileSystem.Disk);
        await AssertDenseRecords(reopened.Topics.Single().Partitions[0], 24);
    }

    [Test]
    public async Task ProduceAsync_ManyBatchesInFlight_DiskFillsMidway_DeliveredOffsetsAreDenseAndTheRestFailTyped()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", SmallIndexes)).Partitions[0];
        // Small batches, so the sender hands the log several at a time.
        await using IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { BatchSize = 128, Acks = Acks.All });
        Task<DeliveryResult> Produce(int i) => producer.ProduceAsync("t", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" }).AsTask();

        // The first wave fits; the second meets a disk with room for about half of it.
        const long Plenty = 1 << 20;
        _files.SpaceLeft = Plenty;
        Task<DeliveryResult>[] first = [.. Enumerable.Range(0, 100).Select(Produce)];
        await Task.WhenAll(first).WaitAsync(Guard);
        // Half of what the first wave's records took (its index files grew by a step, which the second wave does not need).
        _files.SpaceLeft = new FileInfo(ActiveLogFile(p)).Length / 2;
        Task<DeliveryResult>[] second = [.. Enumerable.Range(100, 100).Select(Produce)];
        await Task.WhenAll(second).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Guard);
        Task<DeliveryResult>[] deliveries = [.. first, .. second];

        var delivered = Enumerable.Range(0, deliveries.Length).Where(i => deliveries[i].IsCompletedSuccessfully)
            .Select(i => (deliveries[i].Result.Offset, Key: $"k{i}", Value: $"v{i}")).ToList();
        Assert.That(delivered, Is.Not.Empty, "some records fit");
        Assert.That(delivered.Count, Is.LessThan(200), "the disk filled");
        Assert.That(delivered.Select(d => d.Offset).Order(), Is.EqualTo(Enumerable.Range(0, delivered.Count).Select(i => (long)i)),
            "the delivered records have offsets 0..n-1: failed batches took none");
        foreach (Task<DeliveryResult> failed in deliveries.Where(d => !d.IsCompletedSuccessfully))
            AssertDiskFull(failed.Exception?.InnerException, ".log");
        Assert.That(p.LogEndOffset, Is.EqualTo(delivered.Count));
        var records = await Batches.ReadAll(p, 0);
        Assert.That(records.Select(r => (r.Offset, r.Key, r.Value)),
            Is.EquivalentTo(delivered), "the log holds exactly the delivered records");

        _files.FreeSpace();
        Assert.That((await producer.ProduceAsync("t", new Message<string, string> { Key = "after", Value = "freed" })).Offset, Is.EqualTo(delivered.Count));
    }

    [Test]
    public async Task AppendAsync_AfterNBytes_FailsExactlyAtTheBatchThatDoesNotFit()
    {
        await using Broker broker = await Open();
        Partition p = (await broker.CreateTopicAsync("t", NoIndexEntries)).Partitions[0];
        int batchSize = Batches.Make(0, 4).Length;
        _files.SpaceLeft = batchSize * 7 + batchSize / 2;
        long end = 0;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                end = await AppendBatches(p, 1);
            }
            catch (StorageException e) when (DiskErrors.IsDiskFull(e))
            {
                break;
            }
            Assert.That(watch.Elapsed, Is.LessThan(Guard), "the disk never filled");
        }
        Assert.That(end, Is.EqualTo(28), "seven whole batches fit");
        await AssertDenseRecords(p, 28);
    }
}
