using LogStore.Retention;
using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary>A crash at every step of the cleaner's swap (<see cref="PartitionLog.ReplaceSegments"/>) recovers, through
/// <see cref="LogLoader"/>, to the whole old segment set or the whole new one.</summary>
[TestFixture]
public sealed class CompactionSwapTests : RetentionFixture
{
    private sealed record LogState(List<(long Offset, string Key, string? Value)> Records, long[] BaseOffsets);

    /// <summary>Ten one-record segments (segment.ms of a minute, records two minutes apart) with four keys and a
    /// tombstone; 300-byte segments group three or four of them into each cleaned segment.</summary>
    private async Task<(Broker Broker, Partition Partition)> Build(string path)
    {
        Broker broker = await Open(path);
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
    public async Task ReplaceSegments_CrashAfterEveryStep_ReopensToTheOldOrTheNewSegmentSet()
    {
        LogState before, after;
        var steps = new List<SwapStep>();
        (Broker reference, Partition p) = await Build(Dir.Path);
        await using (reference)
        {
            before = await StateOf(p);
            LogCleaner cleaner = CleanerOf(reference);
            cleaner.StopAfter = step =>
            {
                steps.Add(step);
                return false;
            };
            Assert.That(cleaner.Clean(p.Log).Outcome, Is.EqualTo(SwapOutcome.Swapped));
            after = await StateOf(p);
        }
        Assert.That(after.BaseOffsets.Length, Is.LessThan(before.BaseOffsets.Length - 2), "several groups were swapped");
        Assert.That(steps, Has.Count.GreaterThan(10));
        Assert.That(Latest(after.Records), Is.EqualTo(Latest(before.Records)));

        // Crash points are independent (a directory each): run them a few at a time.
        string[] outcomes = new string[steps.Count];
        await Parallel.ForEachAsync(Enumerable.Range(1, steps.Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (crashAt, _) =>
        {
            using var dir = new TempDirectory();
            TempDirectory image;
            (Broker broker, Partition partition) = await Build(dir.Path);
            try
            {
                int calls = 0;
                CleanerOf(broker).StopAfter = _ => ++calls == crashAt;
                Assert.That(CleanerOf(broker).Clean(partition.Log).Outcome, Is.EqualTo(SwapOutcome.Stopped));
                image = dir.CrashImage();
            }
            finally
            {
                try
                {
                    await broker.DisposeAsync();
                }
                catch (AggregateException)
                {
                    // The crashed broker's files were renamed under it; only the image matters.
                }
            }
            using (image)
            {
                await using Broker recovered = await Open(image.Path);
                LogState state = await StateOf(recovered.Topics.Single().Partitions[0]);
                string step = $"crash after step {crashAt} ({steps[crashAt - 1]})";
                bool isOld = state.Records.SequenceEqual(before.Records) && state.BaseOffsets.SequenceEqual(before.BaseOffsets);
                bool isNew = state.Records.SequenceEqual(after.Records) && state.BaseOffsets.SequenceEqual(after.BaseOffsets);
                Assert.That(isOld || isNew, Is.True, $"{step}: segments {string.Join(",", state.BaseOffsets)}");
                Assert.That(Latest(state.Records), Is.EqualTo(Latest(before.Records)), step);
                Assert.That(FilesOf(image.Combine("t-0"), "*.cleaned").Concat(FilesOf(image.Combine("t-0"), "*.swap"))
                    .Concat(FilesOf(image.Combine("t-0"), "*.deleted")), Is.Empty, step);
                outcomes[crashAt - 1] = isOld ? "old" : "new";
            }
        });
        Assert.That(outcomes, Does.Contain("old").And.Contain("new"), "crashes before the commit point keep the old set, after it the new");
        int firstNew = Array.IndexOf(outcomes, "new");
        Assert.That(outcomes.Skip(firstNew), Is.All.EqualTo("new"), "one commit point");
        Assert.That((steps[firstNew], steps[firstNew + 1]), Is.EqualTo((SwapStep.FileRenamedToSwap, SwapStep.AllSwap)),
            "the rename of the last .cleaned file commits");
    }
}
