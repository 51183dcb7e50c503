using LogStore.Retention;
using LogStore.Storage;
using LogStore.Storage.Files;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary>A crash at every step of the cleaner's swap (<see cref="PartitionLog.ReplaceSegments"/>) recovers, through
/// <see cref="LogLoader"/>, to the whole old segment set or the whole new one. The steps are the swap's renames and
/// directory fsyncs, seen through the store's <see cref="FileSystem"/> seam: the store is imaged before the first and after
/// each, which is what a process crash there would leave.</summary>
[TestFixture]
public sealed class CompactionSwapTests : RetentionFixture
{
    private sealed record LogState(List<(long Offset, string Key, string? Value)> Records, long[] BaseOffsets);

    /// <summary>Ten one-record segments (segment.ms of a minute, records two minutes apart) with four keys and a
    /// tombstone; 300-byte segments group three or four of them into each cleaned segment.</summary>
    private async Task<(Broker Broker, Partition Partition)> Build(string path, FileSystem files)
    {
        Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = path,
            TimeProvider = Time,
            RetentionCheckInterval = TimeSpan.FromDays(365),
            FileSystem = files,
        });
        Partition p = (await broker.CreateTopicAsync("t", new TopicConfig
        {
            CleanupPolicy = CleanupPolicy.Compact,
            SegmentBytes = 300,
            SegmentRollTime = TimeSpan.FromMinutes(1),
            IndexIntervalBytes = 0,
        })).Partitions[0];
        long t = Batches.BaseTime;
        for (int i = 0; i < 10; i++)
            await p.AppendAsync(Keyed(t + i * 120_000L, ($"k{i % 4}", i == 9 ? null : $"v{i}")));
        return (broker, p);
    }

    private static async Task<LogState> StateOf(Partition p) => new(await ReadAll(p), BaseOffsets(p));

    [Test]
    public async Task ReplaceSegments_CrashBeforeOrAfterEveryStep_ReopensToTheOldOrTheNewSegmentSet()
    {
        var files = new FaultInjectingFileSystem();
        var images = new List<(TempDirectory Image, string Step)>();
        LogState before, after;
        (Broker broker, Partition p) = await Build(Dir.Path, files);
        string partitionDirectory = p.Log.Directory;
        int cleaningThread = -1;
        try
        {
            await using (broker)
            {
                before = await StateOf(p);

                // Only the swap's steps: renames and fsyncs in the partition's directory, on the thread that cleans.
                bool InSwap(string path) => Environment.CurrentManagedThreadId == cleaningThread
                    && path.StartsWith(partitionDirectory, StringComparison.Ordinal);
                files.BeforeEntryOperation = (operation, path) =>
                {
                    if (InSwap(path) && images.Count == 0)
                        images.Add((Dir.CrashImage(), $"before the first step ({operation} {Path.GetFileName(path)})"));
                };
                files.AfterEntryOperation = (operation, path) =>
                {
                    if (InSwap(path))
                        images.Add((Dir.CrashImage(), $"after step {images.Count} ({operation} {Path.GetFileName(path)})"));
                };
                cleaningThread = Environment.CurrentManagedThreadId;
                Assert.That(CleanerOf(broker).Clean(p.Log).Outcome, Is.EqualTo(SwapOutcome.Swapped));
                files.BeforeEntryOperation = files.AfterEntryOperation = null;
                after = await StateOf(p);
            }
            Assert.That(after.BaseOffsets.Length, Is.LessThan(before.BaseOffsets.Length - 2), "several groups were swapped");
            Assert.That(images, Has.Count.GreaterThan(10));
            Assert.That(Latest(after.Records), Is.EqualTo(Latest(before.Records)));

            string[] outcomes = new string[images.Count];
            for (int i = 0; i < images.Count; i++)
            {
                (TempDirectory image, string step) = images[i];
                await using Broker recovered = await Open(image.Path);
                LogState state = await StateOf(recovered.Topics.Single().Partitions[0]);
                bool isOld = state.Records.SequenceEqual(before.Records) && state.BaseOffsets.SequenceEqual(before.BaseOffsets);
                bool isNew = state.Records.SequenceEqual(after.Records) && state.BaseOffsets.SequenceEqual(after.BaseOffsets);
                Assert.That(isOld || isNew, Is.True, $"crash {step}: segments {string.Join(",", state.BaseOffsets)}");
                Assert.That(Latest(state.Records), Is.EqualTo(Latest(before.Records)), step);
                Assert.That(FilesOf(image.Combine("t-0"), "*.cleaned").Concat(FilesOf(image.Combine("t-0"), "*.swap"))
                    .Concat(FilesOf(image.Combine("t-0"), "*.deleted")), Is.Empty, step);
                outcomes[i] = isOld ? "old" : "new";
            }
            Assert.That(outcomes, Does.Contain("old").And.Contain("new"), "crashes before the commit point keep the old set, after it the new");
            int firstNew = Array.IndexOf(outcomes, "new");
            Assert.That(outcomes.Skip(firstNew), Is.All.EqualTo("new"), "one commit point");
            Assert.That(images[firstNew].Step, Does.Contain("Move").And.Contain(".cleaned"), "the rename of the last .cleaned file commits");
            Assert.That(images.Skip(firstNew + 1).Select(i => i.Step), Has.None.Contain(".cleaned"), "it was the last");
        }
        finally
        {
            foreach ((TempDirectory image, _) in images)
                image.Dispose();
        }
    }
}
