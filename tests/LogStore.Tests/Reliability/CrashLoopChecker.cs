using System.Buffers.Binary;
using System.Text;
using LogStore.CrashHost;
using LogStore.Storage;
using LogStore.Storage.Indexing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Checks the crash loop's store after each kill against everything the children acknowledged so far. The host
/// numbers its records from the content of the log's last record, never from the log end offset, so the invariant
/// "the record at offset o carries sequence number o" catches a lost, duplicated, reordered or reused offset.
/// </summary>
internal sealed class CrashLoopChecker
{
    private readonly string _mode;
    private readonly bool _compact;
    private readonly List<long> _acknowledged = [];   // acknowledged offsets, increasing (each is its own seq)
    private long _nextOffset;                         // one past the highest acknowledged offset

    public CrashLoopChecker(string mode)
    {
        _mode = mode;
        _compact = CrashRecords.Config(mode).CleanupPolicy != CleanupPolicy.Delete;
    }

    /// <summary>The file system of the copies opened for checking (the disk by default; the power-loss loop skips their
    /// fsyncs, which no check depends on).</summary>
    public LogStore.Storage.Files.FileSystem ImageFileSystem { get; init; } = LogStore.Storage.Files.FileSystem.Disk;

    /// <summary>The consumer-commit checks of the <c>consume</c> mode (idle in the other modes).</summary>
    public CommitChecker Commits { get; } = new();

    public long AcknowledgedRecords => _acknowledged.Count;

    /// <summary>One past the highest acknowledged offset.</summary>
    public long AcknowledgedEnd => _nextOffset;

    public long RecordsVerified { get; private set; }

    /// <summary>The highest log start offset seen: retention did delete segments when it is above zero.</summary>
    public long MaxLogStartOffset { get; private set; }

    /// <summary>The most offsets the cleaner had removed at one check: compaction did run when it is above zero.</summary>
    public long MaxCompactedAway { get; private set; }

    /// <summary>The most segments seen at one check.</summary>
    public int MaxSegments { get; private set; }

    /// <summary>A child's own view: it continued where the log ended and acknowledged dense offsets, each its seq;
    /// in the consume mode, its commits too (<see cref="CommitChecker.AcceptRun"/>).</summary>
    public void AcceptRun(int round, ChildRun run)
    {
        AcceptRecords(round, run.Start, run.Acks);
        if (_mode == "consume")
            Commits.AcceptRun(round, run);
    }

    private void AcceptRecords(int round, (long LogEndOffset, long NextSeq) start, List<(long Offset, long Seq)> acks)
    {
        Assert.That(start.NextSeq, Is.EqualTo(start.LogEndOffset),
            $"Round {round}: the child found log end offset {start.LogEndOffset} but the last record's sequence says {start.NextSeq - 1}.");
        Assert.That(start.LogEndOffset, Is.GreaterThanOrEqualTo(_nextOffset),
            $"Round {round}: the log ends at {start.LogEndOffset} although offsets up to {_nextOffset - 1} were acknowledged durable.");
        long expected = start.LogEndOffset;
        foreach ((long offset, long seq) in acks)
        {
            Assert.That((offset, seq), Is.EqualTo((expected, expected)), $"Round {round}: acknowledgement out of sequence.");
            _acknowledged.Add(offset);
            expected++;
        }
        _nextOffset = Math.Max(_nextOffset, expected);
    }

    /// <summary>Opens a copy of the crashed store and checks the log, the indexes and the acknowledged records, then runs
    /// <paramref name="alsoCheck"/> (given the opened broker, the crash topic's partition and the place for messages).</summary>
    public async Task CheckAsync(int round, string dataDirectory, Func<Broker, Partition, string, Task>? alsoCheck = null)
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory, FileSystem = ImageFileSystem });
        Assert.That(broker.TryGetTopic(CrashRecords.Topic, out Topic? topic), Is.True, $"Round {round}: the topic is gone.");
        Partition partition = topic!.Partitions[0];
        long start = partition.LogStartOffset, end = partition.LogEndOffset;
        string where = $"Round {round} ({_mode}, log [{start}, {end}))";
        Assert.That(end, Is.GreaterThanOrEqualTo(_nextOffset), $"{where}: acknowledged offsets up to {_nextOffset - 1} are past the log end.");

        var present = new HashSet<long>();
        var latestByKey = new Dictionary<string, long>();
        await ReadWholeLogAsync(partition, start, end, present, latestByKey, where);
        CheckAcknowledged(start, present, latestByKey, where);
        MaxLogStartOffset = Math.Max(MaxLogStartOffset, start);
        MaxCompactedAway = Math.Max(MaxCompactedAway, end - start - present.Count);
        MaxSegments = Math.Max(MaxSegments, partition.Segments.Count);
        await CheckIndexesAsync(partition, start, end, present, where);
        if (_mode == "consume")
            await Commits.CheckAsync(broker, end, where);

        // Nothing lies past the log end: a read there is empty, a read beyond it out of range.
        using (FetchResult atEnd = await partition.ReadAsync(end, 1 << 16))
            Assert.That(atEnd.IsEmpty, Is.True, $"{where}: a read at the log end returned data.");
        Assert.ThrowsAsync<OffsetOutOfRangeException>(async () => (await partition.ReadAsync(end + 1, 1 << 16)).Dispose(),
            $"{where}: a read past the log end did not fail.");
        if (alsoCheck is not null)
            await alsoCheck(broker, partition, where);
    }

    /// <summary>Reads from the log start to the log end: every batch valid, every record ours and at its own offset,
    /// offsets dense (increasing only, when compacted), and the last record exactly at the log end.</summary>
    private async Task ReadWholeLogAsync(Partition partition, long start, long end, HashSet<long> present,
        Dictionary<string, long> latestByKey, string where)
    {
        long position = start, previous = start - 1;
        while (position < end)
        {
            using FetchResult fetch = await partition.ReadAsync(position, 64 << 10);
            Assert.That(fetch.IsEmpty, Is.False, $"{where}: a read at {position} below the log end returned nothing.");
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.IsValid, Is.True, $"{where}: the batch at {batch.BaseOffset} fails its CRC.");
                if (batch.LastOffset < position)
                    continue;
                foreach (Record record in batch)
                {
                    long offset = record.Offset;
                    if (offset < position)
                        continue;
                    if (_compact)
                        Assert.That(offset, Is.GreaterThan(previous), $"{where}: offset {offset} after {previous}.");
                    else
                        Assert.That(offset, Is.EqualTo(previous + 1), $"{where}: offsets are not dense after {previous}.");
                    Assert.That(offset, Is.LessThan(end), $"{where}: a record at {offset} lies past the log end.");
                    CheckContent(record, offset, where);
                    present.Add(offset);
                    latestByKey[CrashRecords.Key(offset, _compact)] = offset;
                    previous = offset;
                    RecordsVerified++;
                }
                position = batch.LastOffset + 1;
            }
        }
        Assert.That(previous, Is.EqualTo(end - 1), $"{where}: the last record is at {previous}, not just below the log end.");
    }

    private void CheckContent(Record record, long offset, string where)
    {
        long seq = CrashRecords.ParseSeq(record.Value);
        Assert.That(seq, Is.EqualTo(offset), $"{where}: the record at {offset} carries sequence number {seq}.");
        Assert.That(Encoding.UTF8.GetString(record.Key), Is.EqualTo(CrashRecords.Key(seq, _compact)), $"{where}: key at {offset}.");
        Assert.That(Encoding.UTF8.GetString(record.Value), Is.EqualTo(CrashRecords.Value(seq)), $"{where}: value at {offset}.");
    }

    /// <summary>Every acknowledged record at or above the log start is there, or, compacted, superseded by a later
    /// record of its key; below the log start only retention may have removed it.</summary>
    private void CheckAcknowledged(long start, HashSet<long> present, Dictionary<string, long> latestByKey, string where)
    {
        int missing = 0;
        long firstMissing = -1;
        foreach (long offset in _acknowledged)
        {
            if (offset < start || present.Contains(offset))
                continue;
            if (_compact && latestByKey.TryGetValue(CrashRecords.Key(offset, true), out long latest) && latest > offset)
                continue;
            if (missing++ == 0)
                firstMissing = offset;
        }
        Assert.That(missing, Is.Zero, $"{where}: {missing} acknowledged records are lost, the first at {firstMissing}.");
        if (_mode != "retention")
            Assert.That(start, Is.Zero, $"{where}: the log start moved without retention.");
    }

    /// <summary>Each segment's offset index agrees with its log (every entry names a valid batch ending at the
    /// entry's offset, inside the log), and reads of offsets across each segment return the batch holding them.</summary>
    private async Task CheckIndexesAsync(Partition partition, long start, long end, HashSet<long> present, string where)
    {
        CheckOffsetIndexes(partition, where);

        foreach (SegmentInfo info in partition.Segments)
        {
            long first = Math.Max(info.BaseOffset, start), last = Math.Min(info.NextOffset, end) - 1;
            if (first > last)
                continue;
            foreach (long offset in new[] { first, first + (last - first) / 3, first + (last - first) / 2, last - (last - first) / 4, last })
            {
                using FetchResult fetch = await partition.ReadAsync(offset, 1);
                Assert.That(fetch.IsEmpty, Is.False, $"{where}: nothing read at {offset}.");
                RecordBatch batch = default;
                foreach (RecordBatch b in fetch)
                {
                    batch = b;
                    break;
                }
                Assert.That(batch.LastOffset, Is.GreaterThanOrEqualTo(offset), $"{where}: a read at {offset} returned [{batch.BaseOffset}, {batch.LastOffset}].");
                if (present.Contains(offset))
                    Assert.That(batch.BaseOffset, Is.LessThanOrEqualTo(offset), $"{where}: a read at {offset} returned [{batch.BaseOffset}, {batch.LastOffset}].");
                RecordsVerified++;
            }
        }
    }

    /// <summary>Each segment's offset index agrees with its log: entries increase, and each names a valid batch
    /// inside the log whose last offset is the entry's offset.</summary>
    internal static void CheckOffsetIndexes(Partition partition, string where)
    {
        foreach (LogSegment segment in partition.Log.Segments.Snapshot)
        {
            segment.EnsureIndexesValid();
            OffsetIndex index = segment.OffsetIndex.Get();
            long previousEntry = -1;
            for (int i = 0; i < index.Entries; i++)
            {
                OffsetPosition entry = index.Entry(i);
                Assert.That(entry.Offset, Is.GreaterThan(previousEntry), $"{where}: {segment} index entries do not increase.");
                Assert.That(entry.Position, Is.LessThan(segment.SizeInBytes), $"{where}: {segment} index entry {entry} points past the log.");
                RecordBatch batch = ReadBatchAt(segment, entry.Position, where);
                Assert.That(batch.LastOffset, Is.EqualTo(entry.Offset), $"{where}: {segment} index entry {entry} names the batch [{batch.BaseOffset}, {batch.LastOffset}].");
                previousEntry = entry.Offset;
            }
        }
    }

    private static RecordBatch ReadBatchAt(LogSegment segment, int position, string where)
    {
        Span<byte> header = stackalloc byte[RecordBatch.LogOverhead];
        Assert.That(segment.Log.Read(position, header, segment.SizeInBytes), Is.EqualTo(header.Length), $"{where}: {segment} short header at {position}.");
        int size = RecordBatch.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        Assert.That(position + (long)size, Is.LessThanOrEqualTo(segment.SizeInBytes), $"{where}: {segment} batch at {position} runs past the log.");
        byte[] bytes = new byte[size];
        Assert.That(segment.Log.Read(position, bytes, segment.SizeInBytes), Is.EqualTo(size));
        RecordBatch batch = RecordBatch.Parse(bytes);
        Assert.That(batch.IsValid, Is.True, $"{where}: {segment} batch at {position} fails its CRC.");
        return batch;
    }
}
