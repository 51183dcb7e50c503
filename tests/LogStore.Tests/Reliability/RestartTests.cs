using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's restart time, as properties rather than a stopwatch (the figure is benchmarks' <c>restart</c> mode, see
/// tests/RELIABILITY.md): after a crash, recovery scans only the segments past the recovery point, and the files of
/// flushed segments are not even written; an index is rebuilt only when it is damaged; the clean-shutdown marker
/// exists only between a close that flushed and closed everything and the next open.
/// </summary>
[TestFixture]
public sealed class RestartTests
{
    private const int FlushedSegments = 50;
    private const string CleanMarker = ".logstore_cleanshutdown";
    private static readonly long RollStep = (long)TimeSpan.FromHours(1).TotalMilliseconds + 1;

    /// <summary>Rolls once per hour of record timestamps, so one configuration gives many one-batch segments and then
    /// a long active one.</summary>
    private static readonly TopicConfig TimeRolled = new()
    {
        SegmentRollTime = TimeSpan.FromHours(1),
        RetentionTime = null,
        SegmentIndexBytes = 64 << 10,
        IndexIntervalBytes = 256,
    };

    private static RecordBatch Batch(long first, long timestamp) => Batches.Batch(Batches.Make((int)first, 4, timestamp));

    /// <summary><see cref="FlushedSegments"/> flushed one-batch segments, then an active segment whose first batch is
    /// flushed (the checkpoint's recovery point is in it) followed by <paramref name="unflushedBatches"/> that are not;
    /// the image of a crash at that moment.</summary>
    private static async Task<(TempDirectory Crashed, long LogEnd, long RecoveryPoint)> CrashWithUnflushedTail(int unflushedBatches)
    {
        using var source = new TempDirectory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = source.Path });
        Partition p = (await broker.CreateTopicAsync("t", TimeRolled)).Partitions[0];
        long timestamp = Batches.BaseTime;
        for (int i = 0; i <= FlushedSegments; i++, timestamp += RollStep)
            await p.AppendAsync(Batch(p.LogEndOffset, timestamp));
        // The recovery point enters the last segment: the checkpoint is rewritten now, not by a background flush later.
        await p.FlushAsync();
        long recoveryPoint = p.LogEndOffset;
        timestamp -= RollStep;
        for (int i = 0; i < unflushedBatches; i++)
            await p.AppendAsync(Batch(p.LogEndOffset, timestamp));
        Assert.That(p.Segments, Has.Count.EqualTo(FlushedSegments + 1));
        Assert.That(p.Log.RecoveryPoint, Is.EqualTo(recoveryPoint), "the tail is unflushed");
        return (source.CrashImage(), p.LogEndOffset, recoveryPoint);
    }

    private static Dictionary<string, (byte[] Bytes, DateTime Written)> Snapshot(string partitionDirectory, Func<string, bool> include) =>
        Directory.GetFiles(partitionDirectory).Where(include)
            .ToDictionary(f => f, f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));

    private static async Task AssertDense(Partition p, long end)
    {
        Assert.That(p.LogEndOffset, Is.EqualTo(end));
        var records = await Batches.ReadAll(p, 0);
        Assert.That(records.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, (int)end).Select(i => (long)i)));
        Assert.That(records.All(r => r.Key == $"k{r.Offset}"), Is.True);
    }

    [Test]
    public async Task OpenAsync_AfterCrash_ScansOnlyTheSegmentPastTheRecoveryPointAndWritesNoFlushedSegmentsFile()
    {
        (TempDirectory crashed, long logEnd, long recoveryPoint) = await CrashWithUnflushedTail(unflushedBatches: 50);
        using (crashed)
        {
            string partition = crashed.Combine("t-0");
            // The last segment holds the recovery point (its first batch was flushed) and the unflushed tail.
            string activePrefix = (recoveryPoint - 4).ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
            var flushedFiles = Snapshot(partition, f => Path.GetFileName(f) is var n && char.IsDigit(n[0]) && !n.StartsWith(activePrefix, StringComparison.Ordinal)
                && !n.EndsWith(".snapshot", StringComparison.Ordinal));
            Assert.That(flushedFiles, Has.Count.EqualTo(FlushedSegments * 3));
            var logs = new CapturingLoggerFactory();

            await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = crashed.Path, LoggerFactory = logs }))
            {
                Partition p = broker.Topics.Single().Partitions[0];
                Assert.That(logs.Events(1002), Has.Count.EqualTo(1), "the unclean shutdown was seen");
                var recovered = logs.Events(1007).Single();
                Assert.That(recovered["Segments"], Is.EqualTo(1), "only the segment holding the recovery point is scanned");
                Assert.That(logs.Events(1005), Is.Empty, "no index was rebuilt as missing or damaged");
                // The checkpointed recovery point: inside the last segment (it is rewritten when it enters another one).
                Assert.That(p.Log.RecoveryPoint, Is.InRange(recoveryPoint - 4, recoveryPoint),
                    "nothing is flushed at open: what recovery kept stays past the recovery point until the next flush");

                foreach ((string file, (byte[] bytes, DateTime written)) in flushedFiles)
                {
                    Assert.That(File.GetLastWriteTimeUtc(file), Is.EqualTo(written), $"{Path.GetFileName(file)} was written");
                    Assert.That(File.ReadAllBytes(file), Is.EqualTo(bytes), $"{Path.GetFileName(file)} changed");
                }
                await AssertDense(p, logEnd);
                await p.FlushAsync();
                Assert.That(p.Log.RecoveryPoint, Is.EqualTo(logEnd), "the next flush covers the recovered tail");
            }
        }
    }

    [Test]
    public async Task OpenAsync_AfterCrash_AFlushedSegmentsIndexIsRebuiltOnlyWhenDamaged()
    {
        (TempDirectory crashed, long logEnd, _) = await CrashWithUnflushedTail(unflushedBatches: 5);
        using (crashed)
        {
            string partition = crashed.Combine("t-0");
            // Segment 10 (offsets 40..43): its offset index gets a garbage entry; segment 11's stays as it was.
            string damaged = Path.Combine(partition, 40.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".index");
            string intact = Path.Combine(partition, 44.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".index");
            File.WriteAllBytes(damaged, [0, 0, 0, 9, 0x7F, 0xFF, 0xFF, 0xFF]);
            DateTime intactWritten = File.GetLastWriteTimeUtc(intact);
            byte[] intactBytes = File.ReadAllBytes(intact);
            var logs = new CapturingLoggerFactory();

            await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = crashed.Path, LoggerFactory = logs });
            Partition p = broker.Topics.Single().Partitions[0];
            Assert.That(File.ReadAllBytes(damaged), Is.EqualTo(new byte[] { 0, 0, 0, 9, 0x7F, 0xFF, 0xFF, 0xFF }),
                "a flushed segment's index is not even read at open");

            await AssertDense(p, logEnd);
            Assert.That(new FileInfo(damaged).Length, Is.Zero, "read through: the damaged index was rebuilt (one batch, no entry due)");
            Assert.That(File.GetLastWriteTimeUtc(intact), Is.EqualTo(intactWritten), "an intact index is used as it is");
            Assert.That(File.ReadAllBytes(intact), Is.EqualTo(intactBytes));
        }
    }

    [Test]
    public async Task OpenAsync_AfterCrashWithoutCheckpoint_ValidatesEverySegmentButRewritesOnlyTheDamagedIndex()
    {
        const int Segments = 20;
        const int BatchesPerSegment = 6;
        using var source = new TempDirectory();
        long end;
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = source.Path }))
        {
            Partition p = (await broker.CreateTopicAsync("t", new TopicConfig
            {
                SegmentRollTime = TimeRolled.SegmentRollTime, RetentionTime = null, SegmentIndexBytes = TimeRolled.SegmentIndexBytes, IndexIntervalBytes = 128,
            })).Partitions[0];
            for (int segment = 0; segment < Segments; segment++)
            {
                for (int b = 0; b < BatchesPerSegment; b++)
                    await p.AppendAsync(Batch(p.LogEndOffset, Batches.BaseTime + segment * RollStep + b));
            }
            end = p.LogEndOffset;
            Assert.That(p.Segments, Has.Count.EqualTo(Segments));
        }
        // A crash with no usable checkpoint: everything is past the recovery point.
        File.Delete(source.Combine(CleanMarker));
        CheckpointFiles.DeleteRecoveryPoints(source.Path);
        string partition = source.Combine("t-0");
        string Index(int segment, string suffix) =>
            Path.Combine(partition, (segment * BatchesPerSegment * 4L).ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + suffix);
        string damaged = Index(5, ".index");
        byte[] original = File.ReadAllBytes(damaged);
        Assert.That(original.Length, Is.GreaterThanOrEqualTo(16), "the segment has index entries");
        byte[] shifted = [.. original];
        shifted[7]++; // the first entry's position now points one byte into a batch: well formed, but wrong
        File.WriteAllBytes(damaged, shifted);
        var untouched = Snapshot(partition, f => (f.EndsWith(".index", StringComparison.Ordinal) || f.EndsWith(".timeindex", StringComparison.Ordinal))
            && !f.StartsWith(Index(5, ""), StringComparison.Ordinal) && !f.StartsWith(Index(Segments - 1, ""), StringComparison.Ordinal));
        Assert.That(untouched, Has.Count.EqualTo(2 * (Segments - 2)), "all indexes but the damaged segment's and the active one's");
        var logs = new CapturingLoggerFactory();

        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = source.Path, LoggerFactory = logs }))
        {
            Partition p = broker.Topics.Single().Partitions[0];
            Assert.That(logs.Events(1007).Single()["Segments"], Is.EqualTo(Segments), "every segment was validated");
            Assert.That(File.ReadAllBytes(damaged), Is.EqualTo(original), "the wrong index was rebuilt from its log");
            foreach ((string file, (byte[] bytes, DateTime written)) in untouched)
            {
                Assert.That(File.GetLastWriteTimeUtc(file), Is.EqualTo(written), $"{Path.GetFileName(file)} was rewritten");
                Assert.That(File.ReadAllBytes(file), Is.EqualTo(bytes), $"{Path.GetFileName(file)} changed");
            }
            await AssertDense(p, end);
            for (long offset = 0; offset < end; offset += 3)
            {
                using FetchResult fetch = await p.ReadAsync(offset, 1);
                foreach (RecordBatch first in fetch)
                {
                    Assert.That(offset, Is.InRange(first.BaseOffset, first.LastOffset), $"the read at {offset} starts at the batch holding it");
                    break;
                }
            }
        }
    }

    [Test]
    public async Task CleanShutdownMarker_ExistsOnlyBetweenACompleteCloseAndTheNextOpen()
    {
        using var dir = new TempDirectory();
        string marker = dir.Combine(CleanMarker);
        long end;
        long lastSegment;
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }))
        {
            Partition p = (await broker.CreateTopicAsync("t", TimeRolled)).Partitions[0];
            for (int i = 0; i < 10; i++)
                await p.AppendAsync(Batch(p.LogEndOffset, Batches.BaseTime + i * RollStep));
            end = p.LogEndOffset;
            lastSegment = p.Segments[^1].BaseOffset;
            Assert.That(File.Exists(marker), Is.False, "no marker while open");
        }
        Assert.That(File.Exists(marker), Is.True, "written by a close that flushed and closed everything");
        // The checkpoint is rewritten when the recovery point enters another segment: it holds one inside the last segment
        // (a crash after the next open recovers that segment from its start whatever it says).
        Assert.That(CheckpointFiles.RecoveryPoint(dir.Path), Is.InRange(lastSegment, end),
            "the checkpoint the marker vouches for is in the last segment");

        var logs = new CapturingLoggerFactory();
        await using (Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path, LoggerFactory = logs }))
        {
            Assert.That(File.Exists(marker), Is.False, "the open removes it: a crash from now on is not clean");
            Assert.That(logs.Events(1002), Is.Empty);
            Assert.That(logs.Events(1007), Is.Empty, "nothing recovered after a clean shutdown");
            await AssertDense(reopened.Topics.Single().Partitions[0], end);
        }
    }

    /// <summary>Keeps the structured state of every log event, by event id.</summary>
    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly List<(int Id, Dictionary<string, object?> State)> _events = [];

        public List<Dictionary<string, object?>> Events(int eventId)
        {
            lock (_events)
                return [.. _events.Where(e => e.Id == eventId).Select(e => e.State)];
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
            lock (_events)
                _events.Add((eventId.Id, values.ToDictionary(kv => kv.Key, kv => kv.Value)));
        }
    }
}
