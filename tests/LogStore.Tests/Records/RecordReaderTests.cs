using LogStore;
using LogStore.Records;

namespace LogStore.Tests.Records;

[TestFixture]
public sealed class RecordReaderTests
{
    [Test]
    public void TryReadNext_ConsecutiveRecords_ReadsEachThenReturnsFalse()
    {
        byte[] header = RawBatch.Header(1, "h"u8.ToArray(), -1, null);
        byte[] records =
        [
            .. RawBatch.Record(0, timestampDelta: -5, keyLength: 2, key: [1, 2], valueLength: 0),
            .. RawBatch.Record(1, timestampDelta: 7, headerCount: 1, headers: header),
        ];
        int position = 0;

        Assert.That(RecordReader.TryReadNext(records, ref position, 100, 1000, out Record first), Is.True);
        Assert.That((first.Offset, first.Timestamp, first.TimestampDelta), Is.EqualTo((100L, 995L, -5L)));
        Assert.That(first.Key.ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(first.IsValueNull, Is.False);
        Assert.That(first.Value.IsEmpty, Is.True);
        Assert.That(first.SizeInBytes, Is.EqualTo(position));

        Assert.That(RecordReader.TryReadNext(records, ref position, 100, 1000, out Record second), Is.True);
        Assert.That((second.Offset, second.Timestamp), Is.EqualTo((101L, 1007L)));
        Assert.That(second.IsKeyNull && second.IsValueNull, Is.True);
        Assert.That(second.HeaderCount, Is.EqualTo(1));
        int headers = 0;
        foreach (RecordHeader h in second.Headers)
        {
            Assert.That(h.GetKeyString(), Is.EqualTo("h"));
            Assert.That(h.IsValueNull, Is.True);
            headers++;
        }

        Assert.That(headers, Is.EqualTo(1));
        Assert.That(RecordReader.TryReadNext(records, ref position, 100, 1000, out _), Is.False);
        Assert.That(position, Is.EqualTo(records.Length));
    }

    [Test]
    public void TryReadNext_LogAppendTime_ReplacesTimestamp()
    {
        byte[] records = RawBatch.Record(0, timestampDelta: 3);
        int position = 0;

        Assert.That(RecordReader.TryReadNext(records, ref position, 0, 1000, logAppendTime: 5555, out Record record), Is.True);
        Assert.That(record.Timestamp, Is.EqualTo(5555));
        Assert.That(record.TimestampDelta, Is.EqualTo(3));
    }

    public static IEnumerable<TestCaseData> MalformedRecords()
    {
        yield return new TestCaseData(RawBatch.Record(0, keyLength: -2)).SetName("KeyLengthBelowMinusOne");
        yield return new TestCaseData(RawBatch.Record(0, valueLength: -7)).SetName("ValueLengthBelowMinusOne");
        yield return new TestCaseData(RawBatch.Record(0, keyLength: 50, key: [1])).SetName("KeyPastRecordEnd");
        yield return new TestCaseData(RawBatch.Record(0, valueLength: 1000)).SetName("ValuePastRecordEnd");
        yield return new TestCaseData(RawBatch.Record(0, headerCount: -1)).SetName("NegativeHeaderCount");
        yield return new TestCaseData(RawBatch.Record(0, headerCount: 2, headers: RawBatch.Header(1, [0x41], 0, []))).SetName("FewerHeadersThanCount");
        yield return new TestCaseData(RawBatch.Record(0, headerCount: 1, headers: RawBatch.Header(-1, [], 0, []))).SetName("NullHeaderKey");
        yield return new TestCaseData(RawBatch.Record(0, headerCount: 1, headers: RawBatch.Header(1, [0x41], -2, []))).SetName("HeaderValueLengthBelowMinusOne");
        yield return new TestCaseData(RawBatch.Record(0, headerCount: 1, headers: RawBatch.Header(9, [0x41], 0, []))).SetName("HeaderKeyPastRecordEnd");
        yield return new TestCaseData(RawBatch.Record(0, bodyLength: 100)).SetName("LengthPastRegionEnd");
        yield return new TestCaseData(RawBatch.Record(0, bodyLength: -1)).SetName("NegativeLength");
        yield return new TestCaseData(new byte[] { 0x00 }).SetName("EmptyBody");
        yield return new TestCaseData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }).SetName("OverlongLengthVarint");
        yield return new TestCaseData(new byte[] { 0x80 }).SetName("TruncatedLengthVarint");
        byte[] longer = [.. RawBatch.Record(0), 0x00];
        longer[0] += 2; // one more byte in the body than its fields use
        yield return new TestCaseData(longer).SetName("BodyLongerThanFields");
        byte[] shorter = RawBatch.Record(0);
        shorter[0] -= 2; // the body ends before the header count
        yield return new TestCaseData(shorter).SetName("BodyShorterThanFields");
    }

    [TestCaseSource(nameof(MalformedRecords))]
    public void TryReadNext_MalformedRecord_ThrowsCorruptRecord(byte[] records)
    {
        int position = 0;

        Assert.That(() => RecordReader.TryReadNext(records, ref position, 0, 0, out _), Throws.TypeOf<CorruptRecordException>());
    }

    [Test]
    public void TryReadNext_PositionOutsideRegion_ThrowsCorruptRecord()
    {
        int position = 5;

        Assert.That(() => RecordReader.TryReadNext(new byte[2], ref position, 0, 0, out _), Throws.TypeOf<CorruptRecordException>());
    }
}
