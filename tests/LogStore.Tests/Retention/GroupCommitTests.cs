using LogStore.Storage;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary><see cref="PartitionLog.FlushAsync(long, CancellationToken)"/>: concurrent durable appends share fsyncs.</summary>
[TestFixture]
public sealed class GroupCommitTests : RetentionFixture
{
    // Fsyncs go through it: a test blocks them to keep one in progress.
    private FaultInjectingFileSystem _files = null!;

    private async Task<(Broker Broker, Partition Partition)> OpenPartition()
    {
        _files = new FaultInjectingFileSystem();
        Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = Dir.Path,
            TimeProvider = Time,
            RetentionCheckInterval = TimeSpan.FromDays(365),
            FileSystem = _files,
        });
        Partition p = (await broker.CreateTopicAsync("t")).Partitions[0];
        await p.AppendAsync(Batches.Batch(Batches.Make(0, 1)));
        return (broker, p);
    }

    /// <summary>Starts a leader whose fsync blocks in the file system (the caller blocked fsyncs), and waits until it is
    /// in progress.</summary>
    private Task StartBlockedLeader(PartitionLog log)
    {
        Task leader = Task.Run(() => log.FlushAsync(log.LogEndOffset).AsTask());
        Assert.That(_files.WaitForBlockedFsync(TimeSpan.FromSeconds(10)), Is.True);
        return leader;
    }

    [Test]
    public async Task FlushAsync_WaitersArriveDuringAnFsync_AllShareTheNextOne()
    {
        (Broker broker, Partition p) = await OpenPartition();
        await using (broker)
        {
            PartitionLog log = p.Log;
            var waiters = new List<Task>();
            Task leader;
            _files.BlockFsyncs();
            try
            {
                leader = StartBlockedLeader(log);
                for (int i = 0; i < 63; i++)
                {
                    AppendResult appended = p.AppendAsync(Batches.Batch(Batches.Make(i + 1, 1))).AsTask().Result;
                    waiters.Add(log.FlushAsync(appended.LastOffset + 1).AsTask());
                }
                Assert.That(waiters.All(w => !w.IsCompleted), Is.True, "none is covered by the fsync in progress");
            }
            finally
            {
                _files.ReleaseFsyncs();
            }
            await leader;
            await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.That(log.FsyncRounds, Is.EqualTo(2), "64 waiters, two fsyncs");
            Assert.That(log.RecoveryPoint, Is.EqualTo(64));
        }
    }

    [Test]
    public async Task FlushAsync_OffsetCoveredByTheFsyncInProgress_WaitsForItWithoutAnother()
    {
        (Broker broker, Partition p) = await OpenPartition();
        await using (broker)
        {
            PartitionLog log = p.Log;
            Task leader, follower;
            _files.BlockFsyncs();
            try
            {
                leader = StartBlockedLeader(log);
                follower = log.FlushAsync(1).AsTask();
                Assert.That(follower.IsCompleted, Is.False);
            }
            finally
            {
                _files.ReleaseFsyncs();
            }
            await Task.WhenAll(leader, follower).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(log.FsyncRounds, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task FlushAsync_CancelledWhileWaiting_ThrowsAndTheFsyncStillCompletes()
    {
        (Broker broker, Partition p) = await OpenPartition();
        await using (broker)
        {
            PartitionLog log = p.Log;
            using var cancel = new CancellationTokenSource();
            Task leader, waiter;
            _files.BlockFsyncs();
            try
            {
                leader = StartBlockedLeader(log);
                waiter = log.FlushAsync(1, cancel.Token).AsTask();
                cancel.Cancel();
                Assert.That(waiter.IsCanceled, Is.True, "the wait ends at once, the fsync is still blocked");
            }
            finally
            {
                _files.ReleaseFsyncs();
            }
            await leader.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(log.RecoveryPoint, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task FlushAsync_AlreadyDurable_CompletesSynchronously()
    {
        (Broker broker, Partition p) = await OpenPartition();
        await using (broker)
        {
            await p.FlushAsync();
            long rounds = p.Log.FsyncRounds;

            Assert.That(p.Log.RecoveryPoint, Is.EqualTo(p.LogEndOffset), "Partition.FlushAsync goes through group commit");
            Assert.That(p.Log.FlushAsync(p.LogEndOffset).IsCompletedSuccessfully, Is.True);
            Assert.That(p.Log.FlushAsync(long.MaxValue).IsCompletedSuccessfully, Is.True, "offsets past the log end are capped");
            Assert.That(p.Log.FsyncRounds, Is.EqualTo(rounds));
        }
    }

    [Test]
    public async Task FlushAsync_ManyConcurrentAppenders_AllDurableWithFewerFsyncsThanWaiters()
    {
        (Broker broker, Partition p) = await OpenPartition();
        await using (broker)
        {
            const int Appenders = 32;
            const int PerAppender = 20;
            await Task.WhenAll(Enumerable.Range(0, Appenders).Select(a => Task.Run(async () =>
            {
                for (int i = 0; i < PerAppender; i++)
                {
                    AppendResult r = await p.AppendAsync(Batches.Batch(Batches.Make(i, 1)));
                    await p.Log.FlushAsync(r.LastOffset + 1);
                    Assert.That(p.Log.RecoveryPoint, Is.GreaterThan(r.LastOffset));
                }
            })));
            Assert.That(p.Log.RecoveryPoint, Is.EqualTo(1 + Appenders * PerAppender));
            Assert.That(p.Log.FsyncRounds, Is.LessThanOrEqualTo(Appenders * PerAppender));
        }
    }
}
