using System.Text;
using LogStore.Storage;
using LogStore.Storage.Replication;
using LogStore.Tests.TestSupport;
using static LogStore.Tests.Storage.Replication.FollowerLogs;

namespace LogStore.Tests.Storage.Replication;

/// <summary>
/// A follower's truncation (<see cref="PartitionLog.TruncateTo"/>, <see cref="PartitionReplica.TruncateTo"/>): after the
/// cut and the new leader's batches, the log is byte for byte the log a fresh follower fed the same batches holds —
/// batches, indexes, epochs, producer state — and stays so across a reopen.
/// </summary>
public sealed class TruncationTests : BrokerFixture
{
    public enum Cut { MiddleOfTheActiveSegment, SegmentBoundary, AcrossSeveralSegments, InsideABatch, LogStart, LogEnd }

    private const int OldBatches = 12;

    private ValueTask<Broker> OpenAsync(string directory) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = directory, TimeProvider = Time });

    private static async Task<Partition> PartitionAsync(Broker broker) =>
        broker.TryGetTopic("t", out Topic? topic) ? topic.Partitions[0] : (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];

    private static async Task<PartitionReplica> FollowerAsync(Broker broker)
    {
        PartitionReplica replica = (await PartitionAsync(broker)).Replica;
        replica.BecomeFollower(2, leaderId: 1);
        return replica;
    }

    private static long TargetFor(Cut cut, PartitionLog log)
    {
        LogSegment[] segments = log.Segments.Snapshot;
        Assert.That(segments.Length, Is.GreaterThanOrEqualTo(4), "the old log spans several segments");
        return cut switch
        {
            Cut.MiddleOfTheActiveSegment => segments[^1].BaseOffset + PerBatch,
            Cut.SegmentBoundary => segments[^1].BaseOffset,
            Cut.AcrossSeveralSegments => segments[1].BaseOffset + PerBatch,
            Cut.InsideABatch => segments[1].BaseOffset + PerBatch + 2,
            Cut.LogStart => log.LogStartOffset,
            _ => log.LogEndOffset,
        };
    }

    [TestCase(Cut.MiddleOfTheActiveSegment)]
    [TestCase(Cut.SegmentBoundary)]
    [TestCase(Cut.AcrossSeveralSegments)]
    [TestCase(Cut.InsideABatch)]
    [TestCase(Cut.LogStart)]
    [TestCase(Cut.LogEnd)]
    public async Task TruncateTo_ThenTheNewLeadersBatches_LeaveTheLogAFreshFollowerWouldHold(Cut cut)
    {
        List<byte[]> old = LeaderBatches(0, OldBatches, epoch: 1, idBase: 0);
        string freshDirectory = Dir.Combine("fresh");
        string followerDirectory = Dir.Combine("follower");
        List<byte[]> expected;
        long cutAt;
        await using (Broker broker = await OpenAsync(followerDirectory))
        {
            PartitionReplica replica = await FollowerAsync(broker);
            AppendAll(replica.Log, old);
            long target = TargetFor(cut, replica.Log);
            cutAt = target / PerBatch * PerBatch;

            replica.TruncateTo(target, allowBelowHighWatermark: true);

            Assert.That(replica.LogEndOffset, Is.EqualTo(cutAt), "the cut falls on the start of the batch holding the target");
            Assert.That(replica.Log.RecoveryPoint, Is.LessThanOrEqualTo(cutAt));
            Assert.That(replica.Log.Segments.Snapshot[^1].BaseOffset, Is.LessThanOrEqualTo(cutAt), "no segment past the cut");
            Assert.That(File.Exists(Path.Combine(replica.Log.Directory, TruncationMarker.FileName)), Is.False, "the marker is gone");
            AssertIndexesMatch(replica.Log);
            List<byte[]> tail = LeaderBatches(cutAt, 6, epoch: 3, idBase: 1000);
            AppendAll(replica.Log, tail);
            expected = [.. old.Take((int)(cutAt / PerBatch)), .. tail];
            Assert.That(ReadAll(replica.Log), Is.EqualTo(expected), "byte-identical to the batches fed");
            AssertIndexesMatch(replica.Log);
            Assert.That(replica.Log.LeaderEpochCache.Entries().Select(e => (e.Epoch, e.StartOffset)),
                Is.EqualTo(cutAt == 0 ? new[] { (3, 0L) } : new[] { (1, 0L), (3, cutAt) }));
        }
        await using (Broker fresh = await OpenAsync(freshDirectory))
        {
            PartitionReplica replica = await FollowerAsync(fresh);
            AppendAll(replica.Log, expected);
        }

        await using Broker reopened = await OpenAsync(followerDirectory);
        await using Broker freshReopened = await OpenAsync(freshDirectory);
        PartitionLog log = (await PartitionAsync(reopened)).Log;
        PartitionLog reference = (await PartitionAsync(freshReopened)).Log;
        Assert.That(ReadAll(log), Is.EqualTo(ReadAll(reference)), "after a clean reopen too");
        Assert.That((log.LogStartOffset, log.LogEndOffset), Is.EqualTo((reference.LogStartOffset, reference.LogEndOffset)));
        Assert.That(log.LeaderEpochCache.Entries(), Is.EqualTo(reference.LeaderEpochCache.Entries()));
        AssertIndexesMatch(log);
        for (long offset = 0; offset < log.LogEndOffset; offset += 3)
        {
            using FetchResult one = log.Read(offset, 1);
            RecordBatch first = default;
            foreach (RecordBatch batch in one)
            {
                first = batch;
                break;
            }
            Assert.That(offset, Is.InRange(first.BaseOffset, first.LastOffset), $"the index finds offset {offset}");
        }
    }

    [Test]
    public async Task TruncateTo_BelowTheLogStart_EmptiesTheLogToStartThere()
    {
        await using (Broker broker = await OpenAsync(Dir.Path))
        {
            PartitionReplica replica = await FollowerAsync(broker);
            AppendAll(replica.Log, LeaderBatches(0, OldBatches, epoch: 1, idBase: 0));
            replica.AdvanceHighWatermark(replica.LogEndOffset);
            replica.Log.DeleteRecordsBefore(30);
            Assert.That(replica.Log.LogStartOffset, Is.EqualTo(30));

            replica.TruncateTo(10, allowBelowHighWatermark: true);

            Assert.That((replica.Log.LogStartOffset, replica.LogEndOffset, replica.HighWatermark), Is.EqualTo((10L, 10L, 10L)));
            Assert.That(replica.Log.Segments.Snapshot.Select(s => (s.BaseOffset, s.SizeInBytes)), Is.EqualTo(new[] { (10L, 0) }));
            Assert.That(replica.Log.LeaderEpochCache.Entries(), Is.Empty);
            Assert.That(replica.Log.ProducerSnapshots!.Offsets, Is.Empty);
            AppendAll(replica.Log, LeaderBatches(10, 3, epoch: 4, idBase: 500));
        }

        await using Broker reopened = await OpenAsync(Dir.Path);
        PartitionLog log = (await PartitionAsync(reopened)).Log;
        Assert.That((log.LogStartOffset, log.LogEndOffset), Is.EqualTo((10L, 25L)));
        Assert.That(ReadAll(log), Is.EqualTo(LeaderBatches(10, 3, epoch: 4, idBase: 500)));
        Assert.That(log.LeaderEpochCache.Entries().Select(e => (e.Epoch, e.StartOffset)), Is.EqualTo(new[] { (4, 10L) }));
    }

    [Test]
    public async Task TruncateFullyAndStartAt_PastTheLogEnd_RestartsTheLogThere()
    {
        await using Broker broker = await OpenAsync(Dir.Path);
        PartitionReplica replica = await FollowerAsync(broker);
        AppendAll(replica.Log, LeaderBatches(0, 4, epoch: 1, idBase: 0));

        LogTruncation done = replica.Log.TruncateFullyAndStartAt(100);

        Assert.That(done, Is.EqualTo(new LogTruncation(20, 100, done.Bytes)));
        Assert.That(done.Bytes, Is.GreaterThan(0));
        Assert.That((replica.Log.LogStartOffset, replica.LogEndOffset), Is.EqualTo((100L, 100L)));
        AppendAll(replica.Log, LeaderBatches(100, 2, epoch: 2, idBase: 0));
        Assert.That(ReadAll(replica.Log), Is.EqualTo(LeaderBatches(100, 2, epoch: 2, idBase: 0)));
    }

    [Test]
    public async Task ReplicaTruncateTo_RefusesACutBelowTheHighWatermark_AndLeavesTheLogIntact()
    {
        await using Broker broker = await OpenAsync(Dir.Path);
        PartitionReplica replica = await FollowerAsync(broker);
        List<byte[]> old = LeaderBatches(0, 4, epoch: 1, idBase: 0);
        AppendAll(replica.Log, old);
        replica.AdvanceHighWatermark(10);

        var refused = Assert.Throws<OffsetOutOfRangeException>(() => replica.TruncateTo(5))!;

        Assert.That(refused.Message, Does.Contain("high watermark 10"));
        Assert.That(ReadAll(replica.Log), Is.EqualTo(old));
        replica.TruncateTo(10);
        Assert.That((replica.LogEndOffset, replica.HighWatermark), Is.EqualTo((10L, 10L)));
        replica.TruncateTo(5, allowBelowHighWatermark: true);
        Assert.That((replica.LogEndOffset, replica.HighWatermark), Is.EqualTo((5L, 5L)), "an unclean cut lowers the high watermark");
    }

    [Test]
    public async Task ReplicaTruncateTo_BadCallers_GetTypedExceptions()
    {
        await using Broker broker = await OpenAsync(Dir.Path);
        Partition partition = await PartitionAsync(broker);
        PartitionReplica replica = partition.Replica;
        await partition.AppendAsync(Batches.Batch(Batches.Make(0, 3)));

        Assert.Throws<InvalidOperationException>(() => replica.TruncateTo(1), "a leader is never truncated");
        replica.BecomeFollower(1, leaderId: 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => replica.TruncateTo(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => replica.Log.TruncateTo(-1));
        Assert.That(replica.LogEndOffset, Is.EqualTo(3));
        await broker.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => replica.Log.TruncateTo(0));
    }

    [Test]
    public async Task ReplicaTruncateTo_LogsWhatItCut()
    {
        var loggers = new Diagnostics.CapturingLoggerFactory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, LoggerFactory = loggers });
        PartitionReplica replica = await FollowerAsync(broker);
        AppendAll(replica.Log, LeaderBatches(0, 4, epoch: 1, idBase: 0));

        replica.TruncateTo(10);

        Assert.That(loggers.WithId(1266).Single().Message, Does.Contain("from log end 20 to 10").And.Contain("bytes"));
    }

    [Test]
    public async Task AnIdempotentProducersRetry_AfterTheCut_IsAppendedAgain_NotTakenForADuplicate()
    {
        await using Broker broker = await OpenAsync(Dir.Path);
        PartitionReplica replica = await FollowerAsync(broker);
        AppendAll(replica.Log, [IdempotentBatch(0, 0, 3), IdempotentBatch(3, 3, 2)]);
        // Loaded by a first leader append attempt in a real cluster; here the producer state is made to hold both batches.
        replica.BecomeLeader(3, sole: false);
        Assert.That(replica.AppendAsLeader(RecordBatch.Parse(IdempotentBatch(0, 3, 2))).BaseOffset, Is.EqualTo(3), "a duplicate before the cut");
        replica.BecomeFollower(4, leaderId: 1);

        replica.TruncateTo(3);

        replica.BecomeLeader(5);
        AppendResult retry = replica.AppendAsLeader(RecordBatch.Parse(IdempotentBatch(0, 3, 2)));
        Assert.That((retry.BaseOffset, retry.LastOffset, replica.LogEndOffset), Is.EqualTo((3L, 4L, 5L)), "appended again at the cut");
        AppendResult next = replica.AppendAsLeader(RecordBatch.Parse(IdempotentBatch(0, 5, 1)));
        Assert.That(next.BaseOffset, Is.EqualTo(5), "the sequences go on from the retried batch");
    }

    [Test]
    public async Task AMarkerLeftByACrash_IsCompletedAtTheNextOpen()
    {
        var loggers = new Diagnostics.CapturingLoggerFactory();
        List<byte[]> old = LeaderBatches(0, OldBatches, epoch: 1, idBase: 0);
        string directory;
        await using (Broker broker = await OpenAsync(Dir.Path))
        {
            PartitionReplica replica = await FollowerAsync(broker);
            AppendAll(replica.Log, old);
            directory = replica.Log.Directory;
        }
        // What a crash right after the marker was made durable leaves: the marker and the whole old log.
        File.WriteAllText(Path.Combine(directory, TruncationMarker.FileName), "0\nto 20\n");

        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, LoggerFactory = loggers });
        PartitionLog log = (await PartitionAsync(reopened)).Log;

        Assert.That(log.LogEndOffset, Is.EqualTo(20));
        Assert.That(ReadAll(log), Is.EqualTo(old.Take(4)));
        Assert.That(log.Segments.Snapshot[^1].BaseOffset, Is.LessThanOrEqualTo(20));
        Assert.That(File.Exists(Path.Combine(directory, TruncationMarker.FileName)), Is.False);
        Assert.That(loggers.WithId(1267).Single().Message, Does.Contain("to 20"));
        AssertIndexesMatch(log);
    }

    [Test]
    public async Task ADamagedMarker_KeepsThePartitionOffline_AndItsFilesUntouched()
    {
        string directory;
        await using (Broker broker = await OpenAsync(Dir.Path))
        {
            PartitionReplica replica = await FollowerAsync(broker);
            AppendAll(replica.Log, LeaderBatches(0, 4, epoch: 1, idBase: 0));
            directory = replica.Log.Directory;
        }
        string marker = Path.Combine(directory, TruncationMarker.FileName);
        File.WriteAllText(marker, "0\nto twenty\n");
        long logBytes = new FileInfo(Path.Combine(directory, LogFileNames.FileNamePrefix(0) + LogFileNames.LogSuffix)).Length;

        await using Broker reopened = await OpenAsync(Dir.Path);
        Partition partition = await PartitionAsync(reopened);

        var offline = Assert.ThrowsAsync<PartitionOfflineException>(async () => await partition.ReadAsync(0, 100))!;
        Assert.That(offline.InnerException, Is.TypeOf<StorageException>().And.Message.Contains(TruncationMarker.FileName));
        Assert.That(File.ReadAllText(marker), Is.EqualTo("0\nto twenty\n"));
        Assert.That(new FileInfo(Path.Combine(directory, LogFileNames.FileNamePrefix(0) + LogFileNames.LogSuffix)).Length, Is.EqualTo(logBytes));
    }

    [Test]
    public async Task ConcurrentReaders_DuringTruncations_NeverGetBytesPastTheCut()
    {
        const int seed = 7201;
        const int rounds = 60;
        var random = new Random(seed);
        // No fsyncs: the rounds are what matters here, and each truncation makes several.
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, TimeProvider = Time, FileSystem = new NoFsyncFileSystem() });
        PartitionReplica replica = await FollowerAsync(broker);
        long end = OldBatches * PerBatch;
        // Every generation's batches, known before the reader starts: generation 0 is the old log, generation r + 1 what
        // the leader sends after the r-th cut.
        var generationOf = new Dictionary<string, int>();
        var cuts = new long[rounds];
        var tails = new List<byte[]>[rounds];
        List<byte[]> old = LeaderBatches(0, OldBatches, epoch: 1, idBase: 0);
        foreach (byte[] batch in old)
            generationOf[Convert.ToBase64String(batch)] = 0;
        for (int r = 0; r < rounds; r++)
        {
            cuts[r] = random.Next(OldBatches) * PerBatch;
            tails[r] = LeaderBatches(cuts[r], (int)((end - cuts[r]) / PerBatch), epoch: 2 + r, idBase: 1000 * (r + 1));
            foreach (byte[] batch in tails[r])
                generationOf[Convert.ToBase64String(batch)] = r + 1;
        }
        AppendAll(replica.Log, old);
        // The last completed cut and the generation whose batches alone may lie past it from then on.
        var published = new Published(end, 0);
        using var done = new CancellationTokenSource();
        int reads = 0;
        Task[] readers = [.. Enumerable.Range(1, 2).Select(n => Task.Run(() => Read(seed + n)))];
        void Read(int readerSeed)
        {
            var readerRandom = new Random(readerSeed);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (int n = 0; n < 500_000 && watch.Elapsed < TimeSpan.FromSeconds(30) && !done.IsCancellationRequested; n++)
            {
                Interlocked.Increment(ref reads);
                (long cut, int generation) = Volatile.Read(ref published);
                long offset = readerRandom.NextInt64(end);
                try
                {
                    using FetchResult fetch = replica.Log.Read(offset, 2048);
                    foreach (RecordBatch batch in fetch)
                    {
                        Assert.That(generationOf.TryGetValue(Convert.ToBase64String(batch.Memory.Span), out int seen), Is.True,
                            $"seed {seed}: a read at {offset} returned bytes that are no batch the leader sent");
                        if (batch.BaseOffset >= cut)
                            Assert.That(seen, Is.GreaterThanOrEqualTo(generation), $"seed {seed}: a read at {offset} returned a batch cut before it began");
                    }
                }
                catch (OffsetOutOfRangeException)
                {
                    // Past the log end while the new tail is appended.
                }
            }
        }

        List<byte[]> current = old;
        var writer = System.Diagnostics.Stopwatch.StartNew();
        for (int r = 0; r < rounds && !readers.Any(t => t.IsCompleted); r++)
        {
            current = [.. current.Take((int)(cuts[r] / PerBatch)), .. tails[r]];
            replica.TruncateTo(cuts[r]);
            Volatile.Write(ref published, new Published(cuts[r], r + 1));
            AppendAll(replica.Log, tails[r]);
        }
        TimeSpan truncating = writer.Elapsed;
        done.Cancel();
        await Task.WhenAll(readers);
        TestContext.Out.WriteLine($"{rounds} cut-and-refill rounds in {truncating.TotalMilliseconds:F0} ms beside {reads} reads");

        Assert.That(reads, Is.GreaterThan(rounds), $"seed {seed}: the reader ran beside the truncations");
        Assert.That(ReadAll(replica.Log), Is.EqualTo(current), $"seed {seed}");
    }

    private sealed record Published(long Cut, int Generation);

    private static byte[] IdempotentBatch(long baseOffset, int baseSequence, int count)
    {
        using var builder = new RecordBatchBuilder { ProducerId = 77, ProducerEpoch = 0, BaseSequence = baseSequence };
        for (int i = 0; i < count; i++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"seq{baseSequence + i}"));
        byte[] bytes = builder.Build().Memory.ToArray();
        RecordBatch.SetBaseOffset(bytes, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(bytes, 1);
        return bytes;
    }
}
