using System.Text;
using LogStore;

namespace LogStore.Tests.Records;

[TestFixture]
public sealed class RecordBatchBuilderTests
{
    [Test]
    public void Build_NoRecords_ThrowsInvalidOperation()
    {
        using var builder = new RecordBatchBuilder();

        Assert.That(() => builder.Build(), Throws.InvalidOperationException);
    }

    [Test]
    public void Build_Defaults_WritesJavaProducerHeader()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1000, "k"u8, "v"u8);

        RecordBatch batch = builder.Build();

        Assert.Multiple(() =>
        {
            Assert.That(batch.BaseOffset, Is.Zero);
            Assert.That(batch.PartitionLeaderEpoch, Is.EqualTo(-1));
            Assert.That(batch.Magic, Is.EqualTo(2));
            Assert.That(batch.Attributes, Is.Zero);
            Assert.That(batch.ProducerId, Is.EqualTo(-1));
            Assert.That(batch.ProducerEpoch, Is.EqualTo(-1));
            Assert.That(batch.BaseSequence, Is.EqualTo(-1));
            Assert.That(batch.RecordCount, Is.EqualTo(1));
            Assert.That(batch.BaseTimestamp, Is.EqualTo(1000));
            Assert.That(batch.IsValid, Is.True);
        });
    }

    [Test]
    public void Build_SteadyStateUncompressed_AllocatesNothing()
    {
        using var builder = new RecordBatchBuilder();
        byte[] key = Encoding.UTF8.GetBytes("key-0001");
        byte[] value = new byte[100];
        var headers = new Headers { { "trace-id", [1, 2, 3] }, { "null-value", null } };
        RunCycles(builder, key, value, headers, cycles: 10); // warm up: pool, JIT, buffer growth

        long before = GC.GetAllocatedBytesForCurrentThread();
        long checksum = RunCycles(builder, key, value, headers, cycles: 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
        Assert.That(checksum, Is.Not.Zero);
    }

    [Test]
    public void Enumerate_UncompressedBatch_AllocatesNothing()
    {
        using var builder = new RecordBatchBuilder();
        var headers = new Headers { { "h", [1] } };
        for (int i = 0; i < 100; i++)
        {
            builder.Append(1000 + i, "key"u8, "value"u8, headers);
        }

        RecordBatch batch = builder.Build();
        long total = SumRecords(batch); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            total += SumRecords(batch);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(total, Is.Not.Zero);
    }

    [Test]
    public void EstimatedSizeInBytes_Uncompressed_EqualsBuiltSize()
    {
        using var builder = new RecordBatchBuilder();
        Assert.That(builder.EstimatedSizeInBytes, Is.EqualTo(RecordBatch.HeaderSize));
        for (int i = 0; i < 10; i++)
        {
            builder.Append(i, new byte[i], new byte[2 * i]);
        }

        Assert.That(builder.EstimatedSizeInBytes, Is.EqualTo(builder.Build().SizeInBytes));
    }

    [Test]
    public void EstimatedSizeInBytes_Compressed_CountsUncompressedRecords()
    {
        using var plain = new RecordBatchBuilder();
        using var zstd = new RecordBatchBuilder(CompressionType.Zstd);
        for (int i = 0; i < 10; i++)
        {
            plain.Append(i, new byte[100], new byte[100]);
            zstd.Append(i, new byte[100], new byte[100]);
        }

        Assert.That(zstd.EstimatedSizeInBytes, Is.EqualTo(plain.EstimatedSizeInBytes));
        Assert.That(zstd.Build().SizeInBytes, Is.LessThan(zstd.EstimatedSizeInBytes));
    }

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public void Reset_AfterBuild_StartsNewBatchKeepingSettings(CompressionType codec)
    {
        using var builder = new RecordBatchBuilder(codec, initialCapacity: 64) { BaseOffset = 42, ProducerId = 7 };
        builder.Append(1, [1], [1]);
        builder.Append(2, [2], [2]);
        builder.Build();

        builder.Reset();
        builder.Append(10, [3], new byte[100_000]);
        RecordBatch batch = builder.Build();

        Assert.That(batch.RecordCount, Is.EqualTo(1));
        Assert.That(batch.BaseOffset, Is.EqualTo(42));
        Assert.That(batch.ProducerId, Is.EqualTo(7));
        Assert.That(batch.BaseTimestamp, Is.EqualTo(10));
        RecordModel.AssertSame(RecordModel.ReadAll(batch), [new RecordModel(10, [3], new byte[100_000], [])], 42);
    }

    [TestCase(CompressionType.None)]
    [TestCase(CompressionType.Zstd)]
    public void Append_AfterBuild_ContinuesTheSameBatch(CompressionType codec)
    {
        using var builder = new RecordBatchBuilder(codec);
        builder.Append(5, [1], null);
        Assert.That(builder.Build().RecordCount, Is.EqualTo(1));

        builder.Append(3, null, [2]);
        RecordBatch batch = builder.Build();

        Assert.That(batch.IsValid, Is.True);
        Assert.That(batch.MaxTimestamp, Is.EqualTo(5));
        RecordModel.AssertSame(RecordModel.ReadAll(batch), [new RecordModel(5, [1], null, []), new RecordModel(3, null, [2], [])], 0);
    }

    [Test]
    public void Append_TimestampsOutOfOrder_DeltasFromFirstAndMaxIsLargest()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(5000, null, [1]);
        builder.Append(1000, null, [2]);
        builder.Append(9000, null, [3]);

        RecordBatch batch = builder.Build();
        List<RecordModel> records = RecordModel.ReadAll(batch);

        Assert.That(batch.BaseTimestamp, Is.EqualTo(5000));
        Assert.That(batch.MaxTimestamp, Is.EqualTo(9000));
        Assert.That(records.Select(r => r.TimestampDelta), Is.EqualTo(new long[] { 0, -4000, 4000 }));
    }

    [Test]
    public void Append_NullFlagWithBytes_ThrowsArgument()
    {
        using var builder = new RecordBatchBuilder();

        Assert.That(() => builder.Append(0, "k"u8.ToArray(), [], null, keyIsNull: true), Throws.ArgumentException);
        Assert.That(() => builder.Append(0, [], "v"u8.ToArray(), null, valueIsNull: true), Throws.ArgumentException);
    }

    [Test]
    public void Append_HeaderWithNullKey_ThrowsArgumentAndLeavesBatchUnchanged()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1, [1], [1]);

        Assert.That(() => builder.Append(2, [2], [2], [new Header(null!, [1])]), Throws.ArgumentException);

        Assert.That(builder.RecordCount, Is.EqualTo(1));
        Assert.That(RecordModel.ReadAll(builder.Build()), Has.Count.EqualTo(1));
    }

    [Test]
    public void Build_LogAppendTimeAndTransactional_SetsAttributeBits()
    {
        using var builder = new RecordBatchBuilder(CompressionType.Lz4)
        {
            TimestampType = TimestampType.LogAppendTime,
            IsTransactional = true,
        };
        builder.Append(100, null, [1]);
        builder.Append(200, null, [2]);

        RecordBatch batch = builder.Build();

        Assert.That(batch.Attributes, Is.EqualTo(3 | 0x08 | 0x10));
        Assert.That(batch.TimestampType, Is.EqualTo(TimestampType.LogAppendTime));
        Assert.That(batch.IsTransactional, Is.True);
        Assert.That(RecordModel.ReadAll(batch).Select(r => r.Timestamp), Is.EqualTo(new long[] { 200, 200 }), "LogAppendTime: every record gets maxTimestamp");
    }

    [Test]
    public void Append_AfterDispose_ThrowsObjectDisposed()
    {
        var builder = new RecordBatchBuilder();
        builder.Dispose();
        builder.Dispose();

        Assert.That(() => builder.Append(0, [1], [1]), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => builder.Build(), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Constructor_UnknownCodec_ThrowsArgumentOutOfRange()
    {
        Assert.That(() => new RecordBatchBuilder((CompressionType)5), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    private static long RunCycles(RecordBatchBuilder builder, byte[] key, byte[] value, Headers headers, int cycles)
    {
        long checksum = 0;
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            for (int i = 0; i < 100; i++)
            {
                builder.Append(1_700_000_000_000 + i, key, value, (i & 1) == 0 ? headers : null);
            }

            RecordBatch batch = builder.Build();
            checksum += batch.Crc;
            builder.Reset();
        }

        return checksum;
    }

    private static long SumRecords(RecordBatch batch)
    {
        long sum = 0;
        foreach (Record record in batch)
        {
            sum += record.Offset + record.Key.Length + record.Value.Length;
            foreach (RecordHeader header in record.Headers)
            {
                sum += header.Key.Length + header.Value.Length;
            }
        }

        return sum;
    }
}
