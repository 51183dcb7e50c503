using System.Buffers.Binary;
using LogStore;
using LogStore.Records;

namespace LogStore.Tests.Records;

[TestFixture]
public sealed class RecordBatchTests
{
    private static byte[] SampleBatch(CompressionType codec = CompressionType.None) =>
        RecordGenerators.Build(codec, [new RecordModel(1000, [1], [2], []), new RecordModel(1005, null, [3], [])], baseOffset: 100);

    [Test]
    public void Parse_TooShort_ThrowsCorruptRecord()
    {
        Assert.That(() => RecordBatch.Parse(new byte[60]), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("at least 61"));
    }

    [Test]
    public void Parse_LengthMismatch_ThrowsCorruptRecord()
    {
        byte[] bytes = [.. SampleBatch(), 0];

        Assert.That(() => RecordBatch.Parse(bytes), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("batchLength"));
    }

    [TestCase(-1)]
    [TestCase(48)]
    [TestCase(int.MaxValue)]
    public void Parse_ImpossibleBatchLength_ThrowsCorruptRecord(int batchLength)
    {
        byte[] bytes = SampleBatch();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), batchLength);

        Assert.That(() => RecordBatch.Parse(bytes), Throws.TypeOf<CorruptRecordException>());
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)3)]
    public void Parse_OtherMagic_ThrowsCorruptRecord(byte magic)
    {
        byte[] bytes = SampleBatch();
        bytes[16] = magic;

        Assert.That(() => RecordBatch.Parse(bytes), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("magic"));
    }

    [Test]
    public void Parse_NegativeRecordCount_ThrowsCorruptRecord()
    {
        byte[] bytes = SampleBatch();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(57), -1);

        Assert.That(() => RecordBatch.Parse(bytes), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("negative"));
    }

    [Test]
    public void Properties_BuiltBatch_DeriveOffsets()
    {
        RecordBatch batch = RecordBatch.Parse(SampleBatch());

        Assert.That(batch.BaseOffset, Is.EqualTo(100));
        Assert.That(batch.LastOffsetDelta, Is.EqualTo(1));
        Assert.That(batch.LastOffset, Is.EqualTo(101));
        Assert.That(batch.NextOffset, Is.EqualTo(102));
        Assert.That(batch.SizeInBytes, Is.EqualTo(batch.BatchLength + RecordBatch.LogOverhead));
        Assert.That(batch.HasDeleteHorizon, Is.False);
        Assert.That(batch.IsControlBatch, Is.False);
        Assert.That(batch.ToString(), Does.Contain("baseOffset=100"));
    }

    [Test]
    public void TryReadSize_FewerThan17Bytes_ReturnsFalse()
    {
        byte[] bytes = SampleBatch();
        for (int length = 0; length < 17; length++)
        {
            Assert.That(RecordBatch.TryReadSize(bytes.AsSpan(0, length), out _), Is.False, $"length {length}");
        }
    }

    [Test]
    public void TryReadSize_17Bytes_ReturnsWholeBatchSize()
    {
        byte[] bytes = SampleBatch();

        Assert.That(RecordBatch.TryReadSize(bytes.AsSpan(0, 17), out int size), Is.True);
        Assert.That(size, Is.EqualTo(bytes.Length));
    }

    [TestCase(-1)]
    [TestCase(0)]
    [TestCase(48)]
    [TestCase(int.MaxValue - 11)]
    [TestCase(int.MaxValue)]
    public void TryReadSize_ImpossibleLength_ReturnsFalse(int batchLength)
    {
        byte[] bytes = SampleBatch();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), batchLength);

        Assert.That(RecordBatch.TryReadSize(bytes, out int size), Is.False);
        Assert.That(size, Is.Zero);
    }

    [Test]
    public void TryReadSize_LargestPossibleLength_ReturnsIntMaxValue()
    {
        byte[] bytes = SampleBatch();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), int.MaxValue - 12);

        Assert.That(RecordBatch.TryReadSize(bytes, out int size), Is.True);
        Assert.That(size, Is.EqualTo(int.MaxValue));
    }

    [Test]
    public void TryReadSize_OtherMagic_LeavesTheCheckToParse()
    {
        byte[] bytes = SampleBatch();
        bytes[16] = 1;

        Assert.That(RecordBatch.TryReadSize(bytes, out int size), Is.True);
        Assert.That(() => RecordBatch.Parse(bytes.AsMemory(0, size)), Throws.TypeOf<CorruptRecordException>());
    }

    [Test]
    public void EnsureValid_CorruptedPayload_ThrowsCorruptRecord()
    {
        byte[] bytes = SampleBatch();
        bytes[^1] ^= 0x40;
        RecordBatch batch = RecordBatch.Parse(bytes);

        Assert.That(batch.IsValid, Is.False);
        Assert.That(batch.EnsureValid, Throws.TypeOf<CorruptRecordException>().With.Message.Contains("CRC"));
    }

    [Test]
    public void SetBaseOffsetAndEpoch_KeepCrcValid()
    {
        byte[] bytes = SampleBatch();

        RecordBatch.SetBaseOffset(bytes, 5_000_000_000);
        RecordBatch.SetPartitionLeaderEpoch(bytes, 9);
        RecordBatch batch = RecordBatch.Parse(bytes);

        Assert.That(batch.IsValid, Is.True);
        Assert.That(batch.BaseOffset, Is.EqualTo(5_000_000_000));
        Assert.That(batch.PartitionLeaderEpoch, Is.EqualTo(9));
        Assert.That(RecordModel.ReadAll(batch).Select(r => r.Offset), Is.EqualTo(new[] { 5_000_000_000, 5_000_000_001 }));
    }

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Snappy)]
    public void SetMaxTimestampAndTimestampType_LogAppendTime_RecomputesCrcAndOverridesRecordTimestamps(CompressionType codec)
    {
        byte[] bytes = SampleBatch(codec);

        RecordBatch.SetMaxTimestampAndTimestampType(bytes, 77_777, TimestampType.LogAppendTime);
        RecordBatch batch = RecordBatch.Parse(bytes);

        Assert.That(batch.IsValid, Is.True);
        Assert.That(batch.TimestampType, Is.EqualTo(TimestampType.LogAppendTime));
        Assert.That(batch.Compression, Is.EqualTo(codec));
        Assert.That(batch.MaxTimestamp, Is.EqualTo(77_777));
        Assert.That(RecordModel.ReadAll(batch).Select(r => r.Timestamp), Is.EqualTo(new long[] { 77_777, 77_777 }));

        RecordBatch.SetMaxTimestampAndTimestampType(bytes, 1005, TimestampType.CreateTime);
        Assert.That(RecordBatch.Parse(bytes).IsValid, Is.True);
        Assert.That(bytes, Is.EqualTo(SampleBatch(codec)));
    }

    [Test]
    public void GetEnumerator_FewerRecordsThanDeclared_ThrowsCorruptRecord()
    {
        byte[] records = RawBatch.Record(0);
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 2, lastOffsetDelta: 1));

        Assert.That(() => RecordModel.ReadAll(batch), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("record count"));
    }

    [Test]
    public void GetEnumerator_BytesAfterDeclaredRecords_ThrowsCorruptRecord()
    {
        byte[] records = [.. RawBatch.Record(0), .. RawBatch.Record(1)];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 1, lastOffsetDelta: 1));

        Assert.That(() => RecordModel.ReadAll(batch), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("after"));
    }

    [TestCase(0, 0)]
    [TestCase(3, 2)]
    [TestCase(0, 5)]
    public void GetEnumerator_OffsetDeltasNotIncreasingOrPastLast_ThrowsCorruptRecord(int first, int second)
    {
        byte[] records = [.. RawBatch.Record(first), .. RawBatch.Record(second)];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 2, lastOffsetDelta: 3));

        Assert.That(() => RecordModel.ReadAll(batch), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("offset delta"));
    }

    [Test]
    public void GetEnumerator_GapsInOffsetDeltas_AreAllowedAsAfterCompaction()
    {
        byte[] records = [.. RawBatch.Record(0), .. RawBatch.Record(2, value: [7], valueLength: 1)];
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create(records, recordCount: 2, lastOffsetDelta: 4, baseOffset: 10));

        List<RecordModel> read = RecordModel.ReadAll(batch);

        Assert.That(read.Select(r => r.Offset), Is.EqualTo(new long[] { 10, 12 }));
        Assert.That(batch.LastOffset, Is.EqualTo(14));
    }

    [Test]
    public void GetEnumerator_EmptyBatch_YieldsNothing()
    {
        RecordBatch batch = RecordBatch.Parse(RawBatch.Create([], recordCount: 0, lastOffsetDelta: 3));

        Assert.That(RecordModel.ReadAll(batch), Is.Empty);
    }

    [Test]
    public void GetEnumerator_NonPositiveLimit_ThrowsArgumentOutOfRange()
    {
        RecordBatch batch = RecordBatch.Parse(SampleBatch());

        Assert.That(() => batch.GetEnumerator(0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void DecompressRecords_Uncompressed_SlicesTheBatchWithoutCopying()
    {
        byte[] bytes = SampleBatch();
        RecordBatch batch = RecordBatch.Parse(bytes);

        using DecompressedRecords records = batch.DecompressRecords();

        Assert.That(records.IsPooled, Is.False);
        Assert.That(records.Data.Length, Is.EqualTo(bytes.Length - RecordBatch.HeaderSize));
        Assert.That(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(records.Data, out ArraySegment<byte> segment), Is.True);
        Assert.That(segment.Array, Is.SameAs(bytes));
        Assert.That(segment.Offset, Is.EqualTo(RecordBatch.HeaderSize));
    }

    [Test]
    public void DecompressRecords_Disposed_ForgetsData()
    {
        RecordBatch batch = RecordBatch.Parse(SampleBatch(CompressionType.Gzip));
        DecompressedRecords records = batch.DecompressRecords();
        Assert.That(records.IsPooled, Is.True);

        records.Dispose();
        records.Dispose();

        Assert.That(records.Data.IsEmpty, Is.True);
    }
}
