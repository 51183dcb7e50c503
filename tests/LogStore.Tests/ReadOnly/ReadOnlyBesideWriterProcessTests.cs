using LogStore.CrashHost;
using LogStore.Tests.Reliability;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.ReadOnly;

/// <summary>
/// A read-only broker in this process follows a writer in another (the crash host) while it appends, rolls, deletes
/// (retention) or swaps (compaction) segments, then is killed with SIGKILL: the reader only ever sees whole records at
/// their own offsets (each record's value names its sequence number, which equals its offset in a fresh store), sees
/// every record the writer acknowledged that retention kept, and changes no file.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReadOnlyBesideWriterProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [TestCase("roll", 11)]
    [TestCase("retention", 12)]
    [TestCase("compact", 13)]
    public async Task Reader_FollowsAWriterInAnotherProcess_ThroughItsKill(string mode, int seed)
    {
        using var dir = new TempDirectory();
        await using var writer = WriterProcess.Start(dir.Path, mode, seed);
        await writer.WaitForAcksAsync(50, Timeout);

        await using Broker reader = await Broker.OpenReadOnlyAsync(new BrokerOptions { DataDirectory = dir.Path });
        Assert.That(reader.TryGetTopic(CrashRecords.Topic, out Topic? topic), Is.True);
        Partition partition = topic!.Partitions[0];
        using var deadline = new CancellationTokenSource(Timeout);

        // Follow while the writer runs, until well past what it had acknowledged when the reader opened.
        long next = await FollowAsync(partition, 0, target: writer.Acks.Count + 400, deadline.Token);
        int segmentsSeen = partition.Segments.Count;
        await writer.KillAsync();
        List<(long Offset, long Seq)> acked = writer.Acks;

        // After the kill: whatever the writer left (maybe a torn batch), the reader reads on to a stable end.
        next = await FollowAsync(partition, next, target: -1, deadline.Token);
        Assert.That(next, Is.EqualTo(partition.LogEndOffset));
        Assert.That(partition.LogEndOffset, Is.GreaterThan(acked[^1].Offset), "every acknowledged record is visible");
        Assert.That(segmentsSeen, Is.GreaterThan(1), "the writer rolled while the reader followed");

        SortedDictionary<string, string> before = StoreFingerprint.Of(dir.Path);
        var seen = new Dictionary<long, long>();
        await ReadAllAsync(partition, (offset, seq) => seen[offset] = seq, deadline.Token);
        foreach ((long offset, long seq) in acked.Where(a => a.Offset >= partition.LogStartOffset))
        {
            // Compaction keeps the latest record of each key only: an acknowledged record may be gone, never changed.
            if (mode != "compact")
                Assert.That(seen.ContainsKey(offset), Is.True, $"acknowledged offset {offset} is missing");
            if (seen.TryGetValue(offset, out long read))
                Assert.That(read, Is.EqualTo(seq));
        }
        Assert.That(StoreFingerprint.Of(dir.Path), Is.EqualTo(before), "the reader changed a file");
    }

    /// <summary>Reads from <paramref name="next"/> with long polls, checking every record, until <paramref name="target"/>
    /// records were passed, or (target -1) until a poll finds nothing new; returns the next offset to read.</summary>
    private static async Task<long> FollowAsync(Partition partition, long next, long target, CancellationToken cancellationToken)
    {
        for (int polls = 0; polls < 100_000; polls++)
        {
            if (target >= 0 && next >= target)
                return next;
            FetchResult fetch;
            try
            {
                fetch = await partition.ReadAsync(next, 64 * 1024, TimeSpan.FromMilliseconds(200), cancellationToken);
            }
            catch (OffsetOutOfRangeException)
            {
                // Retention deleted what was next: go on from the log start.
                next = Math.Max(next, partition.LogStartOffset);
                continue;
            }
            using (fetch)
            {
                if (fetch.IsEmpty)
                {
                    if (target < 0)
                        return next;
                    continue;
                }
                foreach (RecordBatch batch in fetch)
                {
                    foreach (Record record in batch)
                        Assert.That(CrashRecords.ParseSeq(record.Value), Is.EqualTo(record.Offset), $"record at offset {record.Offset}");
                    next = batch.NextOffset;
                }
            }
        }
        Assert.Fail($"Still following at offset {next} after 100,000 polls.");
        return next;
    }

    private static async Task ReadAllAsync(Partition partition, Action<long, long> onRecord, CancellationToken cancellationToken)
    {
        long next = partition.LogStartOffset;
        while (next < partition.LogEndOffset)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 64 * 1024, default, cancellationToken);
            Assert.That(fetch.IsEmpty, Is.False, $"nothing at {next} below the log end {partition.LogEndOffset}");
            foreach (RecordBatch batch in fetch)
            {
                foreach (Record record in batch)
                    onRecord(record.Offset, CrashRecords.ParseSeq(record.Value));
                next = batch.NextOffset;
            }
        }
    }
}
