using LogStore.Storage;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static LogStore.Tests.Storage.Replication.FollowerLogs;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Power losses inside a follower's truncation (<see cref="PartitionLog.TruncateTo"/>): the store is imaged before every
/// rename and directory fsync of the truncation (durable entries only, a random prefix of the pending ones, all of them;
/// tails torn or not), and once after it returns. Every image must open to a valid log that ends at the old end or at
/// the cut, holding exactly the old batches up to there; the image after the return must hold the cut.
/// </summary>
[TestFixture]
public sealed class TruncationPowerLossTests
{
    [TestCase(false, 7101, TestName = "PowerLoss_InsideTruncateTo_RecoversTheOldLogOrTheCut")]
    [TestCase(true, 7102, TestName = "PowerLoss_InsideTruncateFullyAndStartAt_RecoversTheOldLogOrTheEmptyOne")]
    public async Task PowerLoss_InsideATruncation(bool full, int seed)
    {
        var random = new Random(seed);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        List<byte[]> old = LeaderBatches(0, 12, epoch: 1, idBase: 0);
        var images = new List<(TempDirectory Image, string Where)>();
        using var directory = new TempDirectory();
        long oldEnd = old.Count * PerBatch;
        long cut = full ? 7 : 20;
        try
        {
            var files = new PowerLossFileSystem(directory.Path);
            await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = directory.Path, FileSystem = files, TimeProvider = time }))
            {
                Partition partition = (await broker.CreateTopicAsync("t", SmallSegments)).Partitions[0];
                partition.Replica.BecomeFollower(2, leaderId: 1);
                AppendAll(partition.Log, old);
                await partition.FlushAsync();
                files.BeforeEntryOperation = operation =>
                {
                    foreach (PowerLossFileSystem.Entries entries in Enum.GetValues<PowerLossFileSystem.Entries>())
                    {
                        bool torn = random.Next(2) == 0;
                        var image = new TempDirectory();
                        files.WriteImage(image.Path, random, torn, entries);
                        images.Add((image, $"before {operation}, entries {entries}, {(torn ? "torn" : "durable")} tails"));
                    }
                };
                if (full)
                    partition.Log.TruncateFullyAndStartAt(cut);
                else
                    partition.Log.TruncateTo(cut + 2);
                files.BeforeEntryOperation = null;
                var after = new TempDirectory();
                files.WriteImage(after.Path, random, torn: true, PowerLossFileSystem.Entries.Durable);
                images.Add((after, "after the truncation returned"));
            }

            Assert.That(images.Count, Is.GreaterThan(9), $"seed {seed}: images inside the truncation");
            foreach ((TempDirectory image, string where) in images)
            {
                long end = await CheckImageAsync(image.Path, time, old, full, cut, oldEnd, $"seed {seed}, {where}");
                if (where.StartsWith("after", StringComparison.Ordinal))
                    Assert.That(end, Is.EqualTo(cut), $"seed {seed}: a returned truncation is durable");
            }
        }
        finally
        {
            foreach ((TempDirectory image, _) in images)
                image.Dispose();
        }
    }

    private static async Task<long> CheckImageAsync(string path, FakeTimeProvider time, List<byte[]> old, bool full, long cut, long oldEnd, string where)
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = path, TimeProvider = time });
        Assert.That(broker.TryGetTopic("t", out Topic? topic), Is.True, where);
        PartitionLog log = topic!.Partitions[0].Log;
        long end = log.LogEndOffset;
        Assert.That(end, Is.EqualTo(oldEnd).Or.EqualTo(cut), where);
        bool cutDone = end == cut;
        Assert.That(log.LogStartOffset, Is.EqualTo(full && cutDone ? cut : 0), where);
        List<byte[]> expected = full && cutDone ? [] : [.. old.Take((int)(end / PerBatch))];
        Assert.That(ReadAll(log), Is.EqualTo(expected), where);
        Assert.That(File.Exists(Path.Combine(log.Directory, TruncationMarker.FileName)), Is.False, $"{where}: the open completed the marker");
        AssertIndexesMatch(log);
        // The recovered log takes the leader's next batches where it ends.
        AppendAll(log, LeaderBatches(end, 2, epoch: 3, idBase: 900));
        Assert.That(ReadAll(log), Is.EqualTo(expected.Concat(LeaderBatches(end, 2, epoch: 3, idBase: 900))), where);
        return end;
    }
}
