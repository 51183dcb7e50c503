using System.Text;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The directory fsyncs the power-loss loop found missing, each pinned by one deterministic image: a store on a
/// <see cref="PowerLossFileSystem"/>, imaged with every directory as of its last fsync and every file's durable bytes,
/// must still hold what was acknowledged. See tests/RELIABILITY.md, "Power loss".
/// </summary>
[TestFixture]
public sealed class DirectoryFsyncTests
{
    private static readonly TopicConfig Durable = new() { SegmentBytes = 1 << 10, IndexIntervalBytes = 128, SegmentIndexBytes = 4 << 10, FlushMessages = 1 };

    [Test]
    public async Task CreateTopicAsync_PowerLossAfterItReturned_TopicIsThere()
    {
        using var store = new TempDirectory();
        var files = new PowerLossFileSystem(store.Path);
        await using (Broker broker = await OpenAsync(store, files))
        {
            await broker.CreateTopicAsync("t", Durable);
            using TempDirectory image = Image(files);
            await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = image.Path });
            Assert.That(reopened.TryGetTopic("t", out _), Is.True, "the topic's configuration (or its directory) vanished");
        }
    }

    [Test]
    public async Task AppendAsync_FirstSegmentOfANewTopic_SurvivesPowerLoss()
    {
        using var store = new TempDirectory();
        var files = new PowerLossFileSystem(store.Path);
        await using Broker broker = await OpenAsync(store, files);
        Partition partition = (await broker.CreateTopicAsync("t", Durable)).Partitions[0];
        await AppendAsync(partition, 0, 3);   // flush.messages=1: acknowledged durable

        using TempDirectory image = Image(files);
        await AssertRecordsAsync(image, 3);
    }

    /// <summary>The flag that asks for the directory fsync was cleared after the fsync, so a roll while it ran was never
    /// covered: the rolled segment's name could vanish with the records flushed into it. A checkpoint rewrite fsyncs the
    /// directory too and hides it, so here every checkpoint write fails, as on a full disk (where a flush still succeeds).</summary>
    [Test]
    public async Task FlushAsync_SegmentRolledWhileTheDirectoryFsyncRan_ItsNameIsDurable()
    {
        using var store = new TempDirectory();
        var files = new PowerLossFileSystem(store.Path);
        await using Broker broker = await OpenAsync(store, files);
        var config = new TopicConfig { SegmentBytes = 1 << 10, IndexIntervalBytes = 128, SegmentIndexBytes = 4 << 10 };
        Partition partition = (await broker.CreateTopicAsync("t", config)).Partitions[0];
        await partition.FlushAsync();
        long next = 0;
        var fsyncRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var rolledMeanwhile = new ManualResetEventSlim();
        int fired = 0;
        files.BeforeEntryOperation = operation =>
        {
            if (operation.EndsWith("to partition.checkpoint", StringComparison.Ordinal))
                throw new IOException("No space left on device (injected)");
        };
        files.WhileDirectoryFsyncs = directory =>
        {
            // The first roll's background flush fsyncs the directory: it waits here while the test rolls again.
            if (Path.GetFileName(directory) == "t-0" && Interlocked.Exchange(ref fired, 1) == 0)
            {
                fsyncRunning.SetResult();
                rolledMeanwhile.Wait(TimeSpan.FromSeconds(30));
            }
        };
        int first = partition.Segments.Count;
        while (partition.Segments.Count == first)
            next = AppendSync(partition, next, 4);
        await fsyncRunning.Task.WaitAsync(TimeSpan.FromSeconds(30));
        int second = partition.Segments.Count;
        while (partition.Segments.Count == second)
            next = AppendSync(partition, next, 4);
        rolledMeanwhile.Set();
        next = AppendSync(partition, next, 4);
        await partition.FlushAsync();   // everything appended is acknowledged durable

        using TempDirectory image = Image(files);
        await AssertRecordsAsync(image, next);
    }

    private static ValueTask<Broker> OpenAsync(TempDirectory store, PowerLossFileSystem files) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = store.Path, FileSystem = files });

    private static TempDirectory Image(PowerLossFileSystem files)
    {
        var image = new TempDirectory();
        files.WriteImage(image.Path, new Random(1), torn: false, PowerLossFileSystem.Entries.Durable);
        return image;
    }

    private static async Task AppendAsync(Partition partition, long first, int count)
    {
        for (long i = first; i < first + count; i++)
        {
            using var builder = new RecordBatchBuilder();
            await partition.AppendAsync(Batch(builder, i, 1));
        }
    }

    private static long AppendSync(Partition partition, long first, int count)
    {
        using var builder = new RecordBatchBuilder();
        partition.AppendAsync(Batch(builder, first, count)).AsTask().GetAwaiter().GetResult();
        return first + count;
    }

    /// <summary>A view of <paramref name="builder"/>'s buffer: valid while it is.</summary>
    private static RecordBatch Batch(RecordBatchBuilder builder, long first, int count)
    {
        for (long i = first; i < first + count; i++)
            builder.Append(Batches.BaseTime, Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"value {i} {new string('x', 60)}"));
        return builder.Build();
    }

    /// <summary>The image opens with records 0 to <paramref name="count"/> - 1, each with its value.</summary>
    private static async Task AssertRecordsAsync(TempDirectory image, long count)
    {
        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = image.Path });
        Assert.That(reopened.TryGetTopic("t", out Topic? topic), Is.True, "the topic is gone");
        Partition partition = topic!.Partitions[0];
        Assert.That(partition.LogEndOffset, Is.GreaterThanOrEqualTo(count), $"acknowledged records lost: the log ends at {partition.LogEndOffset}");
        long next = 0;
        while (next < count)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 1 << 16);
            Assert.That(fetch.IsEmpty, Is.False, $"nothing read at {next}");
            foreach (RecordBatch batch in fetch)
            {
                foreach (Record record in batch)
                {
                    if (record.Offset < next)
                        continue;
                    Assert.That(Encoding.UTF8.GetString(record.Value), Does.StartWith($"value {record.Offset} "));
                    next = record.Offset + 1;
                }
            }
        }
    }
}
