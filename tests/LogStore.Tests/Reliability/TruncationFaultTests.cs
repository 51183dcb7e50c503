using LogStore.Storage;
using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;
using static LogStore.Tests.Storage.Replication.FollowerLogs;

namespace LogStore.Tests.Reliability;

/// <summary>
/// I/O errors inside a follower's truncation (<see cref="PartitionLog.TruncateTo"/>), through the file seam: a failure
/// before the marker changes nothing; one after it leaves the log cut in memory and readable, refuses appends with
/// <see cref="StorageException"/> until a retried truncation completes the cut on disk, and a reopen instead completes it
/// from the marker. Either way the log ends at the cut and takes the leader's batches from there.
/// </summary>
public sealed class TruncationFaultTests : BrokerFixture
{
    private const long Cut = 20;

    private async Task<(Broker Broker, PartitionLog Log)> OpenAsync(FileSystem files)
    {
        Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = Dir.Path, FileSystem = files, TimeProvider = Time });
        Partition partition = broker.TryGetTopic("t", out Topic? topic) ? topic.Partitions[0] : (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
        partition.Replica.BecomeFollower(Math.Max(2, partition.Replica.LeaderEpoch), leaderId: 1);
        return (broker, partition.Log);
    }

    [Test]
    public async Task TruncateTo_WhenTheMarkerCannotBeWritten_ChangesNothing()
    {
        var files = new FaultInjectingFileSystem();
        List<byte[]> old = LeaderBatches(0, 12, epoch: 1, idBase: 0);
        (Broker broker, PartitionLog log) = await OpenAsync(files);
        await using (broker)
        {
            AppendAll(log, old);
            log.Flush();
            files.Fail(FileOperation.Write, DiskErrors.Enospc, times: 1, pathContains: ".tmp");

            Assert.Throws<StorageException>(() => log.TruncateTo(Cut + 2));

            Assert.That(log.LogEndOffset, Is.EqualTo(60));
            Assert.That(ReadAll(log), Is.EqualTo(old));
            Assert.That(File.Exists(Path.Combine(log.Directory, TruncationMarker.FileName)), Is.False);
            AppendAll(log, LeaderBatches(60, 1, epoch: 1, idBase: 0));
        }
    }

    [TestCase((int)FileOperation.SetLength, false)]
    [TestCase((int)FileOperation.Move, false)]
    [TestCase((int)FileOperation.Flush, false)]
    [TestCase((int)FileOperation.SetLength, true)]
    [TestCase((int)FileOperation.Move, true)]
    public async Task TruncateTo_WhenAFileCannotBeChanged_LeavesTheLogReadableAndCut_UntilARetryOrAReopenCompletesIt(
        int operation, bool reopenInsteadOfRetry)
    {
        var failing = (FileOperation)operation;
        var files = new FaultInjectingFileSystem();
        List<byte[]> old = LeaderBatches(0, 12, epoch: 1, idBase: 0);
        List<byte[]> tail = LeaderBatches(Cut, 3, epoch: 3, idBase: 1000);
        (Broker broker, PartitionLog log) = await OpenAsync(files);
        await using (broker)
        {
            AppendAll(log, old);
            // The rolls' background flushes finish here, so that the failure is the truncation's own.
            log.Flush();
            files.Fail(failing, DiskErrors.Eio, times: 1, pathContains: ".log");

            var failed = Assert.Throws<StorageException>(() => log.TruncateTo(Cut + 2))!;

            Assert.That(failed.InnerException, Is.InstanceOf<IOException>(), failed.ToString());
            Assert.That(log.LogEndOffset, Is.EqualTo(Cut), "cut in memory");
            Assert.That(ReadAll(log), Is.EqualTo(old.Take(4)), "readable up to the cut");
            Assert.That(File.Exists(Path.Combine(log.Directory, TruncationMarker.FileName)), Is.True, "the marker stays until the cut is on disk");
            var refused = Assert.Throws<StorageException>(() => log.AppendAsFollower(RecordBatch.Parse(tail[0].ToArray())))!;
            Assert.That(refused.Message, Does.Contain("could not be completed"));
            if (!reopenInsteadOfRetry)
            {
                Assert.That(log.TruncateTo(Cut), Is.EqualTo(new LogTruncation(Cut, Cut, 0)), "a retry only completes the cut");
                Assert.That(File.Exists(Path.Combine(log.Directory, TruncationMarker.FileName)), Is.False);
                AppendAll(log, tail);
            }
        }

        (Broker reopened, PartitionLog again) = await OpenAsync(FileSystem.Disk);
        await using (reopened)
        {
            if (reopenInsteadOfRetry)
            {
                Assert.That(again.LogEndOffset, Is.EqualTo(Cut), "the open completed the cut from the marker");
                AppendAll(again, tail);
            }
            Assert.That(ReadAll(again), Is.EqualTo(old.Take(4).Concat(tail)));
            Assert.That(File.Exists(Path.Combine(again.Directory, TruncationMarker.FileName)), Is.False);
            AssertIndexesMatch(again);
        }
    }
}
