using CsCheck;
using LogStore;
using LogStore.Records;

namespace LogStore.Tests.Records;

/// <summary>Property tests: whatever RecordBatchBuilder writes, RecordBatch reads back unchanged, with every codec.</summary>
[TestFixture]
public sealed class RecordBatchRoundTripTests
{
    private static readonly Gen<(long BaseOffset, int Epoch, long ProducerId, short ProducerEpoch, int Sequence, bool Transactional)> s_headerFields =
        Gen.Select(Gen.Long[0, long.MaxValue / 2], Gen.Int[-1, int.MaxValue], Gen.Long[-1, long.MaxValue],
            Gen.Short[-1, short.MaxValue], Gen.Int[-1, int.MaxValue], Gen.Bool);

    [Test]
    public void BuildThenParse_RandomRecordsAndCodecs_ReadsBackTheSameRecords()
    {
        Gen.Select(RecordGenerators.Records, RecordGenerators.Codec, s_headerFields).Sample((records, codec, fields) =>
        {
            using var builder = new RecordBatchBuilder(codec)
            {
                BaseOffset = fields.BaseOffset,
                PartitionLeaderEpoch = fields.Epoch,
                ProducerId = fields.ProducerId,
                ProducerEpoch = fields.ProducerEpoch,
                BaseSequence = fields.Sequence,
                IsTransactional = fields.Transactional,
            };
            byte[] bytes = RecordModel.BuildBytes(builder, records);

            RecordBatch batch = RecordBatch.Parse(bytes);

            batch.EnsureValid();
            Assert.That(batch.Compression, Is.EqualTo(codec));
            Assert.That(batch.BaseOffset, Is.EqualTo(fields.BaseOffset));
            Assert.That(batch.PartitionLeaderEpoch, Is.EqualTo(fields.Epoch));
            Assert.That(batch.ProducerId, Is.EqualTo(fields.ProducerId));
            Assert.That(batch.ProducerEpoch, Is.EqualTo(fields.ProducerEpoch));
            Assert.That(batch.BaseSequence, Is.EqualTo(fields.Sequence));
            Assert.That(batch.IsTransactional, Is.EqualTo(fields.Transactional));
            Assert.That(batch.RecordCount, Is.EqualTo(records.Length));
            Assert.That(batch.LastOffsetDelta, Is.EqualTo(records.Length - 1));
            Assert.That(batch.BaseTimestamp, Is.EqualTo(records[0].Timestamp));
            Assert.That(batch.MaxTimestamp, Is.EqualTo(records.Max(r => r.Timestamp)));
            Assert.That(batch.TimestampType, Is.EqualTo(TimestampType.CreateTime));
            RecordModel.AssertSame(RecordModel.ReadAll(batch), records, fields.BaseOffset);
        }, iter: 300);
    }

    [Test]
    public void DecompressRecords_RandomRecordsAndCodecs_CursorReadsTheSameRecords()
    {
        Gen.Select(RecordGenerators.Records, RecordGenerators.Codec).Sample((records, codec) =>
        {
            RecordBatch batch = RecordBatch.Parse(RecordGenerators.Build(codec, records, baseOffset: 1000));

            using DecompressedRecords decompressed = batch.DecompressRecords();
            var read = new List<RecordModel>();
            RecordCursor cursor = decompressed.CreateCursor();
            while (cursor.MoveNext(decompressed.Data.Span, out Record record))
            {
                read.Add(RecordModel.From(record));
            }

            Assert.That(decompressed.IsPooled, Is.EqualTo(codec != CompressionType.None));
            RecordModel.AssertSame(read, records, 1000);
        }, iter: 100);
    }

    [Test]
    public void BuildThenParse_ExtremeTimestamps_ReadBackExactly()
    {
        RecordModel[] records =
        [
            new(long.MaxValue, null, null, []),
            new(long.MinValue, [], [], []),
            new(0, [1], [2], []),
            new(-1, null, [3], []),
        ];

        foreach (CompressionType codec in Enum.GetValues<CompressionType>())
        {
            RecordBatch batch = RecordBatch.Parse(RecordGenerators.Build(codec, records));

            Assert.That(batch.MaxTimestamp, Is.EqualTo(long.MaxValue));
            RecordModel.AssertSame(RecordModel.ReadAll(batch), records, 0);
        }
    }

    [Test]
    public void BuildThenParse_LargeRecords_CrossCompressionChunkBoundaries()
    {
        var random = new Random(7);
        var records = new List<RecordModel>();
        for (int i = 0; i < 6; i++)
        {
            byte[] value = new byte[50_000 + i];
            random.NextBytes(value.AsSpan(0, value.Length / 2)); // half random, half zeros: compressible
            records.Add(new RecordModel(1_700_000_000_000 + i, [(byte)i], value, []));
        }

        foreach (CompressionType codec in Enum.GetValues<CompressionType>())
        {
            RecordBatch batch = RecordBatch.Parse(RecordGenerators.Build(codec, records));

            batch.EnsureValid();
            RecordModel.AssertSame(RecordModel.ReadAll(batch), records, 0);
        }
    }
}
