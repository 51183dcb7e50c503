using LogStore.Storage;
using LogStore.Storage.Indexing;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Storage.Replication;

/// <summary>What the truncation tests share: small segments, a leader's batches as a follower gets them, and the log's
/// batches and index entries read back for comparison.</summary>
internal static class FollowerLogs
{
    public const int PerBatch = 5;

    /// <summary>About three batches per segment and index entries every few batches.</summary>
    public static TopicConfig SmallSegments => new() { SegmentBytes = 1024, IndexIntervalBytes = 200, RetentionTime = null };

    /// <summary><paramref name="count"/> batches of <see cref="PerBatch"/> records from <paramref name="from"/>, in
    /// <paramref name="epoch"/>, their record ids starting at <paramref name="idBase"/> (so that two tails differ).</summary>
    public static List<byte[]> LeaderBatches(long from, int count, int epoch, int idBase)
    {
        var batches = new List<byte[]>(count);
        for (int i = 0; i < count; i++)
        {
            long baseOffset = from + (long)i * PerBatch;
            byte[] bytes = Batches.Make(idBase + (int)baseOffset, PerBatch, Batches.BaseTime + baseOffset, valueSize: 40);
            RecordBatch.SetBaseOffset(bytes, baseOffset);
            RecordBatch.SetPartitionLeaderEpoch(bytes, epoch);
            batches.Add(bytes);
        }
        return batches;
    }

    /// <summary>Appends copies of <paramref name="batches"/> as a follower; all must go in.</summary>
    public static void AppendAll(PartitionLog log, IEnumerable<byte[]> batches)
    {
        foreach (byte[] bytes in batches)
            log.AppendAsFollower(RecordBatch.Parse(bytes.ToArray()));
    }

    /// <summary>The bytes of every batch from the log start to the log end, read one batch at a time through the index.</summary>
    public static List<byte[]> ReadAll(PartitionLog log)
    {
        var read = new List<byte[]>();
        long next = log.LogStartOffset;
        while (next < log.LogEndOffset)
        {
            using FetchResult fetch = log.Read(next, 1);
            Assert.That(fetch.IsEmpty, Is.False, $"nothing at {next} below the log end {log.LogEndOffset}");
            foreach (RecordBatch batch in fetch)
            {
                read.Add(batch.Memory.ToArray());
                next = batch.NextOffset;
            }
        }
        return read;
    }

    /// <summary>Every offset-index entry points at the start of a batch that ends at the entry's offset, and every
    /// time-index entry names an offset of the log.</summary>
    public static void AssertIndexesMatch(PartitionLog log)
    {
        foreach (LogSegment segment in log.Segments.Snapshot)
        {
            OffsetIndex offsets = segment.OffsetIndex.Get();
            byte[] header = new byte[RecordBatch.HeaderSize];
            for (int n = 0; n < offsets.Entries; n++)
            {
                OffsetPosition entry = offsets.Entry(n);
                Assert.That(entry.Position, Is.LessThan(segment.SizeInBytes), $"entry {n} of segment {segment.BaseOffset} is past its log");
                segment.Log.Read(entry.Position, header, segment.SizeInBytes);
                Assert.That(LogSegment.TryPeekBatch(header, out _, out _, out long lastOffset), Is.True, $"entry {n} of segment {segment.BaseOffset}");
                Assert.That(lastOffset, Is.EqualTo(entry.Offset), $"entry {n} of segment {segment.BaseOffset}");
            }
            TimeIndex times = segment.TimeIndex.Get();
            for (int n = 0; n < times.Entries; n++)
                Assert.That(times.Entry(n).Offset, Is.LessThan(log.LogEndOffset), $"time entry {n} of segment {segment.BaseOffset}");
        }
    }
}
