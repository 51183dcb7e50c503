using System.Text;
using LogStore;

namespace LogStore.Tests.Records;

/// <summary><see cref="RecordEnumerator.MoveTo"/>: a record found by offset without decoding the ones before it.</summary>
[TestFixture]
public sealed class RecordEnumeratorTests
{
    private const long BaseOffset = 500;

    private static byte[] Build(CompressionType codec, int count, int seed)
    {
        var random = new Random(seed);
        using var builder = new RecordBatchBuilder(codec);
        for (int i = 0; i < count; i++)
        {
            byte[] value = new byte[random.Next(0, 400)];
            random.NextBytes(value);
            Header[]? headers = i % 3 == 0 ? [new Header("h", [(byte)i])] : null;
            builder.Append(1_700_000_000_000 + i, Encoding.UTF8.GetBytes($"k{i}"), value, headers);
        }
        byte[] bytes = builder.Build().Memory.ToArray();
        RecordBatch.SetBaseOffset(bytes, BaseOffset);
        return bytes;
    }

    [TestCase(CompressionType.None, 1)]
    [TestCase(CompressionType.None, 2)]
    [TestCase(CompressionType.Lz4, 3)]
    [TestCase(CompressionType.Zstd, 4)]
    public void MoveTo_EveryOffset_LandsOnTheRecordMoveNextWouldReach(CompressionType codec, int seed)
    {
        RecordBatch batch = RecordBatch.Parse(Build(codec, 60, seed));
        var expected = new List<(long Offset, string Key, int ValueLength, long Timestamp, int Headers)>();
        foreach (Record record in batch)
            expected.Add((record.Offset, Encoding.UTF8.GetString(record.Key), record.Value.Length, record.Timestamp, record.HeaderCount));

        for (int i = 0; i < expected.Count; i++)
        {
            using RecordEnumerator records = batch.GetEnumerator();
            Assert.That(records.MoveTo(BaseOffset + i), Is.True, $"seed {seed}, record {i}");
            Record found = records.Current;
            Assert.That((found.Offset, Encoding.UTF8.GetString(found.Key), found.Value.Length, found.Timestamp, found.HeaderCount), Is.EqualTo(expected[i]),
                $"seed {seed}, record {i}");
            // The enumeration goes on from there as MoveNext would.
            int rest = 0;
            while (records.MoveNext())
                rest++;
            Assert.That(rest, Is.EqualTo(expected.Count - i - 1), $"seed {seed}");
        }
    }

    [Test]
    public void MoveTo_BelowTheBatch_IsTheFirstRecord_PastTheLast_ReturnsFalse()
    {
        RecordBatch batch = RecordBatch.Parse(Build(CompressionType.None, 5, seed: 5));

        using RecordEnumerator below = batch.GetEnumerator();
        Assert.That((below.MoveTo(0), below.Current.Offset), Is.EqualTo((true, BaseOffset)));
        using RecordEnumerator past = batch.GetEnumerator();
        Assert.That(past.MoveTo(BaseOffset + 5), Is.False);
    }

    [Test]
    public void MoveTo_AfterMoveNext_OnlyMovesForward()
    {
        RecordBatch batch = RecordBatch.Parse(Build(CompressionType.None, 10, seed: 6));

        using RecordEnumerator records = batch.GetEnumerator();
        Assert.That(records.MoveTo(BaseOffset + 6), Is.True);
        Assert.That((records.MoveTo(BaseOffset + 2), records.Current.Offset), Is.EqualTo((true, BaseOffset + 7)), "a lower offset moves to the next record");
    }

    [Test]
    public void MoveTo_GapInOffsets_StopsAtTheNextRecord()
    {
        byte[] records = [.. RawBatch.Record(0), .. RawBatch.Record(4, value: [7], valueLength: 1), .. RawBatch.Record(6)];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 3, lastOffsetDelta: 6, baseOffset: 10));

        using RecordEnumerator enumerator = batch.GetEnumerator();
        Assert.That((enumerator.MoveTo(12), enumerator.Current.Offset, enumerator.Current.Value[0]), Is.EqualTo((true, 14L, (byte)7)));
    }

    [TestCase(3, 2, Description = "offset deltas going back")]
    [TestCase(0, 9, Description = "an offset delta past lastOffsetDelta")]
    public void MoveTo_BadOffsetDeltaBeforeTheTarget_ThrowsCorruptRecord(int first, int second)
    {
        byte[] records = [.. RawBatch.Record(first), .. RawBatch.Record(second), .. RawBatch.Record(8)];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 3, lastOffsetDelta: 8));

        Assert.That(() =>
        {
            using RecordEnumerator enumerator = batch.GetEnumerator();
            enumerator.MoveTo(8);
        }, Throws.TypeOf<CorruptRecordException>().With.Message.Contains("offset delta"));
    }

    [TestCase(0, Description = "an empty record")]
    [TestCase(200, Description = "a length past the end of the records")]
    public void MoveTo_BadLengthBeforeTheTarget_ThrowsCorruptRecord(int bodyLength)
    {
        byte[] records = [.. RawBatch.Record(0), .. RawBatch.Record(1, bodyLength: bodyLength), .. RawBatch.Record(2)];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 3, lastOffsetDelta: 2));

        Assert.That(() =>
        {
            using RecordEnumerator enumerator = batch.GetEnumerator();
            enumerator.MoveTo(2);
        }, Throws.TypeOf<CorruptRecordException>());
    }

    [Test]
    public void MoveTo_TruncatedVarIntBeforeTheTarget_ThrowsCorruptRecord()
    {
        byte[] records = [.. RawBatch.Record(0), 0x80];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 2, lastOffsetDelta: 1));

        Assert.That(() =>
        {
            using RecordEnumerator enumerator = batch.GetEnumerator();
            enumerator.MoveTo(1);
        }, Throws.TypeOf<CorruptRecordException>());
    }
}
