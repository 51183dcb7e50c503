using LogStore;
using LogStore.Records;

namespace LogStore.Tests.Records;

[TestFixture]
public sealed class PooledBufferWriterTests
{
    [Test]
    public void GetSpanAndAdvance_PastInitialCapacity_GrowsKeepingBytes()
    {
        using var writer = new PooledBufferWriter(4);
        for (int i = 0; i < 1000; i++)
        {
            writer.GetSpan(1)[0] = (byte)i;
            writer.Advance(1);
        }

        Assert.That(writer.WrittenCount, Is.EqualTo(1000));
        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray()));
    }

    [Test]
    public void Advance_PastMaxLength_ThrowsCorruptRecord()
    {
        using var writer = new PooledBufferWriter(4, maxLength: 10);
        writer.GetSpan(10);
        writer.Advance(10);

        writer.GetSpan(1);
        Assert.That(() => writer.Advance(1), Throws.TypeOf<CorruptRecordException>());
        Assert.That(writer.WrittenCount, Is.EqualTo(10));
    }

    [Test]
    public void EnsureWithinLimit_DeclaredSizeAboveMax_ThrowsCorruptRecord()
    {
        using var writer = new PooledBufferWriter(4, maxLength: 10);

        Assert.That(() => writer.EnsureWithinLimit(11), Throws.TypeOf<CorruptRecordException>());
        Assert.That(() => writer.EnsureWithinLimit(-1), Throws.TypeOf<CorruptRecordException>());
        Assert.That(() => writer.EnsureWithinLimit(10), Throws.Nothing);
    }

    [Test]
    public void Advance_MoreThanObtained_ThrowsInvalidOperation()
    {
        using var writer = new PooledBufferWriter(4);
        int available = writer.GetSpan(4).Length;

        Assert.That(() => writer.Advance(available + 1), Throws.InvalidOperationException);
    }

    [Test]
    public void Truncate_And_Clear_MoveTheEnd()
    {
        using var writer = new PooledBufferWriter(16);
        writer.GetSpan(8);
        writer.Advance(8);

        writer.Truncate(3);
        Assert.That(writer.WrittenCount, Is.EqualTo(3));
        Assert.That(() => writer.Truncate(4), Throws.TypeOf<ArgumentOutOfRangeException>());
        writer.Clear();
        Assert.That(writer.WrittenCount, Is.Zero);
    }

    [Test]
    public void GetSpan_AfterDispose_ThrowsObjectDisposed()
    {
        var writer = new PooledBufferWriter(4);
        writer.Dispose();
        writer.Dispose();

        Assert.That(() => writer.GetSpan(10), Throws.TypeOf<ObjectDisposedException>());
    }
}
