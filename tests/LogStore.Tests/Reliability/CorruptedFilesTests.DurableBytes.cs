using System.Globalization;
using System.Text;
using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The class of damage of issue 18 (items 1 and 6): a bit flipped or a file cut short at many byte positions, below
/// and above the recovery point, in rolled and active segments, after a clean and an unclean stop. Whatever the
/// damage, the open keeps every byte below the recovery point, keeps beside the segment whatever it cuts past it, never
/// moves the log end below the recovery point or below an offset still on disk, reports damaged durable batches with a
/// <see cref="CorruptRecordException"/> on reading them, and serves every undamaged record unchanged.
/// </summary>
public sealed partial class CorruptedFilesTests
{
    public enum ByteDamage { FlipBit, CutAt }

    public enum SegmentChoice { First, Middle, LastRolled, Active }

    public enum PositionChoice { LengthField, Header, Records, Half, NearEnd }

    private const string DurableTopic = "d";
    private const int DurableBatches = 60;
    private static readonly int[] FlushedAfter = [25, 55];
    private TempDirectory _durableClean = null!;
    private TempDirectory _durableCrashed = null!;

    private sealed record BatchAt(int Position, int Size, long BaseOffset, long NextOffset);

    private sealed record SegmentLayout(string Name, long BaseOffset, List<BatchAt> Batches);

    [OneTimeSetUp]
    public async Task BuildDurableStores()
    {
        _durableClean = new TempDirectory();
        await using (Broker broker = await Open(_durableClean.Path))
            await FillDurable(broker);
        using var source = new TempDirectory();
        Broker open = await Open(source.Path);
        await FillDurable(open);
        _durableCrashed = source.CrashImage();
        await open.DisposeAsync();
    }

    [OneTimeTearDown]
    public void DeleteDurableStores()
    {
        _durableClean.Dispose();
        _durableCrashed.Dispose();
    }

    /// <summary>Sixty batches of four records in segments of 1,500 bytes, flushed (and so checkpointed) after the 25th and
    /// the 55th: the crash image's recovery point is offset 220, inside the active segment, whose last batches are not
    /// flushed.</summary>
    private static async Task FillDurable(Broker broker)
    {
        Topic topic = await broker.CreateTopicAsync(DurableTopic, new TopicConfig { SegmentBytes = 1500, IndexIntervalBytes = 64 });
        for (int i = 0; i < DurableBatches; i++)
        {
            int first = i * RecordsPerBatch;
            await topic.Partitions[0].AppendAsync(Batches.Batch(Batches.Make(first, RecordsPerBatch, Batches.BaseTime + first)));
            if (FlushedAfter.Contains(i + 1))
                await topic.Partitions[0].FlushAsync();
        }
    }

    public static IEnumerable<TestCaseData> DurableByteCases() =>
        from crashed in new[] { false, true }
        from damage in Enum.GetValues<ByteDamage>()
        from segment in Enum.GetValues<SegmentChoice>()
        from position in Enum.GetValues<PositionChoice>()
        select new TestCaseData(crashed, damage, segment, position)
            .SetArgDisplayNames(crashed ? "crashed" : "clean", damage.ToString(), segment.ToString(), position.ToString());

    [TestCaseSource(nameof(DurableByteCases))]
    [CancelAfter(30_000)]
    public async Task Open_DamageAtAnyByte_NeverErasesDurableBytesNorReusesOffsets(bool crashed, ByteDamage damage, SegmentChoice segment, PositionChoice position)
    {
        using TempDirectory copy = (crashed ? _durableCrashed : _durableClean).CrashImage();
        File.Delete(copy.Combine(".lock"));
        string directory = copy.Combine(DurableTopic + "-0");
        List<SegmentLayout> layout = Layout(directory);
        Assert.That(layout, Has.Count.GreaterThanOrEqualTo(4), "the store has too few segments for the cases");
        long recoveryPoint = CheckpointFiles.RecoveryPoint(copy.Path, DurableTopic);
        Assert.That(recoveryPoint, Is.EqualTo(crashed ? 220 : DurableBatches * RecordsPerBatch));
        SegmentLayout target = layout[segment switch
        {
            SegmentChoice.First => 0,
            SegmentChoice.Middle => layout.Count / 2,
            SegmentChoice.LastRolled => layout.Count - 2,
            _ => layout.Count - 1,
        }];
        string targetFile = Path.Combine(directory, target.Name);
        int size = (int)new FileInfo(targetFile).Length;
        int at = position switch
        {
            PositionChoice.LengthField => 9,
            PositionChoice.Header => 45,
            PositionChoice.Records => 70,
            PositionChoice.Half => size / 2,
            _ => size - 3,
        };
        ApplyByteDamage(targetFile, damage, at);
        Dictionary<string, byte[]> damaged = layout.ToDictionary(s => s.Name, s => File.ReadAllBytes(Path.Combine(directory, s.Name)));
        string where = $"{(crashed ? "crashed" : "clean")} store, recovery point {recoveryPoint}, {damage} at byte {at} of {target.Name}";

        CancellationToken token = TestContext.CurrentContext.CancellationToken;
        await using Broker broker = await Open(copy.Path, token).AsTask().WaitAsync(Timeout, token);
        Partition partition = broker.Topics.Single(t => t.Name == DurableTopic).Partitions[0];
        long logEnd = partition.LogEndOffset;
        Assert.That(logEnd, Is.GreaterThanOrEqualTo(recoveryPoint), $"{where}: the log end moved below the recovery point");
        foreach (SegmentLayout s in layout)
            CheckBytesKept(directory, s, damaged[s.Name], recoveryPoint, logEnd, where);

        HashSet<long> corrupt = await ReadEveryOffset(partition, logEnd, where, token);
        foreach (BatchAt batch in target.Batches)
        {
            bool hit = damage == ByteDamage.FlipBit
                ? at >= batch.Position + 16 && at < batch.Position + batch.Size || at >= batch.Position + 8 && at < batch.Position + 12
                : at < batch.Position + batch.Size;
            if (hit && batch.NextOffset <= recoveryPoint)
                Assert.That(corrupt, Does.Contain(batch.BaseOffset), $"{where}: the damaged durable batch at {batch.Position} was not reported on reading it");
        }
        AppendResult appended = await partition.AppendAsync(Batches.Batch(Batches.Make((int)logEnd, 1, ExpectedTimestamp(logEnd))), token);
        Assert.That(appended.BaseOffset, Is.EqualTo(logEnd), $"{where}: the append did not land at the log end");
        using FetchResult back = await partition.ReadAsync(logEnd, 1 << 16, TimeSpan.Zero, token);
        Assert.That(back.BatchCount, Is.EqualTo(1), $"{where}: the appended batch does not read back");
        TestContext.Out.WriteLine($"RESULT {where}: log end {logEnd}, {corrupt.Count} offsets read as damaged");
    }

    /// <summary>Below the recovery point every byte of the damaged file is still there; what is gone past it is in a
    /// <c>.cut-</c> file beside it; and the log end is past every batch still whole on disk, so no offset is reused.</summary>
    private static void CheckBytesKept(string directory, SegmentLayout segment, byte[] damaged, long recoveryPoint, long logEnd, string where)
    {
        string file = Path.Combine(directory, segment.Name);
        int durable = 0;
        foreach (BatchAt batch in segment.Batches)
        {
            if (batch.NextOffset <= recoveryPoint)
                durable = batch.Position + batch.Size;
        }
        if (!File.Exists(file))
        {
            Assert.That(durable == 0 || damaged.Length == 0, Is.True, $"{where}: {segment.Name}, holding durable bytes, was removed");
            if (damaged.Length > 0)
                Assert.That(File.ReadAllBytes(file + ".cut-0"), Is.EqualTo(damaged), $"{where}: {segment.Name} was set aside without its bytes");
            return;
        }
        byte[] after = File.ReadAllBytes(file);
        Assert.That(after.Length, Is.LessThanOrEqualTo(damaged.Length), $"{where}: {segment.Name} grew at open");
        Assert.That(after, Is.EqualTo(damaged[..after.Length]), $"{where}: {segment.Name} was changed in place");
        Assert.That(after.Length, Is.GreaterThanOrEqualTo(Math.Min(durable, damaged.Length)), $"{where}: durable bytes of {segment.Name} were cut");
        if (after.Length < damaged.Length)
        {
            string cut = $"{file}.cut-{after.Length.ToString(CultureInfo.InvariantCulture)}";
            Assert.That(File.Exists(cut) ? File.ReadAllBytes(cut) : null, Is.EqualTo(damaged[after.Length..]), $"{where}: the bytes cut from {segment.Name} are not kept beside it");
        }
        foreach (BatchAt batch in segment.Batches)
        {
            if (batch.Position + batch.Size <= after.Length && IsValidBatch(after.AsMemory(batch.Position, batch.Size)))
                Assert.That(logEnd, Is.GreaterThanOrEqualTo(batch.NextOffset), $"{where}: the batch at offset {batch.BaseOffset} is still on disk but the log ends at {logEnd}");
        }
    }

    /// <summary>Reads every offset below the log end: each is the record written there, or a typed damage error
    /// (never another record, never an untyped failure); returns the offsets that read as damaged.</summary>
    private static async Task<HashSet<long>> ReadEveryOffset(Partition partition, long logEnd, string where, CancellationToken token)
    {
        var corrupt = new HashSet<long>();
        for (long offset = partition.LogStartOffset; offset < logEnd;)
        {
            FetchResult fetch;
            try
            {
                fetch = await partition.ReadAsync(offset, 1, TimeSpan.Zero, token).AsTask().WaitAsync(Timeout, token);
            }
            catch (CorruptRecordException e)
            {
                Assert.That(e.Offset, Is.EqualTo(offset), $"{where}: the error does not name the offset read");
                corrupt.Add(offset++);
                continue;
            }
            using (fetch)
            {
                Assert.That(fetch.IsEmpty, Is.False, $"{where}: a read at {offset} below the log end {logEnd} returned nothing");
                foreach (RecordBatch batch in fetch)
                {
                    Assert.That(batch.IsValid, Is.True, $"{where}: a damaged batch was served at {offset}");
                    foreach (Record record in batch)
                    {
                        Assert.That(Encoding.UTF8.GetString(record.Key), Is.EqualTo(ExpectedKey(record.Offset)), $"{where}: key at {record.Offset}");
                        Assert.That(Encoding.UTF8.GetString(record.Value), Is.EqualTo(ExpectedValue(record.Offset)), $"{where}: value at {record.Offset}");
                    }
                    offset = Math.Max(offset, batch.NextOffset);
                }
            }
        }
        return corrupt;
    }

    private static bool IsValidBatch(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return RecordBatch.Parse(bytes).IsValid;
        }
        catch (CorruptRecordException)
        {
            return false;
        }
    }

    private static List<SegmentLayout> Layout(string directory)
    {
        var segments = new List<SegmentLayout>();
        foreach (string file in Directory.GetFiles(directory, "*.log").Order(StringComparer.Ordinal))
        {
            byte[] bytes = File.ReadAllBytes(file);
            var batches = new List<BatchAt>();
            for (int position = 0; position < bytes.Length;)
            {
                Assert.That(RecordBatch.TryReadSize(bytes.AsSpan(position), out int size), Is.True, $"{file} is damaged before the test");
                RecordBatch batch = RecordBatch.Parse(bytes.AsMemory(position, size));
                batches.Add(new BatchAt(position, size, batch.BaseOffset, batch.NextOffset));
                position += size;
            }
            string name = Path.GetFileName(file);
            segments.Add(new SegmentLayout(name, long.Parse(name[..20], CultureInfo.InvariantCulture), batches));
        }
        return segments;
    }

    private static void ApplyByteDamage(string file, ByteDamage damage, int at)
    {
        if (damage == ByteDamage.CutAt)
        {
            Truncate(file, at);
            return;
        }
        byte[] bytes = File.ReadAllBytes(file);
        bytes[at] ^= 0x04;
        File.WriteAllBytes(file, bytes);
    }
}
