using CsCheck;
using LogStore.Storage.Indexing;

namespace LogStore.Tests.Storage.Indexing;

[TestFixture]
public sealed class OffsetIndexTests : IndexTestFiles
{
    [Test]
    public void Constructor_KafkaVectorReadOnly_LoadsBothEntries()
    {
        using var index = new OffsetIndex(VectorPath("segment-3-batches.index"), 0, 1024, writable: false);

        Assert.That(index.Entries, Is.EqualTo(2));
        Assert.That(index.IsWritable, Is.False);
        Assert.That(index.Entry(0), Is.EqualTo(new OffsetPosition(19, 231)));
        Assert.That(index.Entry(1), Is.EqualTo(new OffsetPosition(29, 472)));
        Assert.That(index.LastOffset, Is.EqualTo(29));
        Assert.DoesNotThrow(index.SanityCheck);
    }

    [TestCase(-1, 0, 0)]
    [TestCase(0, 0, 0)]
    [TestCase(5, 0, 0)]
    [TestCase(18, 0, 0)]
    [TestCase(19, 19, 231)]
    [TestCase(25, 19, 231)]
    [TestCase(28, 19, 231)]
    [TestCase(29, 29, 472)]
    [TestCase(30, 29, 472)]
    [TestCase(long.MaxValue, 29, 472)]
    public void Lookup_KafkaVector_ReturnsGreatestEntryAtOrBelowTarget(long target, long offset, int position)
    {
        using var index = new OffsetIndex(VectorPath("segment-3-batches.index"), 0, 1024, writable: false);

        Assert.That(index.Lookup(target), Is.EqualTo(new OffsetPosition(offset, position)));
    }

    [Test]
    public void TrimToValidSize_VectorEntries_WritesKafkaBytes()
    {
        string path = FilePath("00000000000000000000.index");
        using var index = new OffsetIndex(path, 0, 1024, writable: true);
        foreach (var (offset, position) in VectorOffsets)
            index.Append(offset, position);

        index.TrimToValidSize();

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(File.ReadAllBytes(VectorPath("segment-3-batches.index"))));
        Assert.That(index.Lookup(20), Is.EqualTo(new OffsetPosition(19, 231)), "still answers after the trim");
    }

    [Test]
    public void Lookup_EmptyIndex_ReturnsBaseOffsetAndPositionZero()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 100, 80, writable: true);

        Assert.That(index.Lookup(50), Is.EqualTo(new OffsetPosition(100, 0)));
        Assert.That(index.Lookup(100), Is.EqualTo(new OffsetPosition(100, 0)));
        Assert.That(index.Lookup(long.MaxValue), Is.EqualTo(new OffsetPosition(100, 0)));
        Assert.That(index.LastOffset, Is.EqualTo(100));
    }

    [TestCase(109, 100, 0)]
    [TestCase(110, 110, 500)]
    [TestCase(111, 110, 500)]
    public void Lookup_OneEntry_ReturnsEntryOnlyAtOrAboveIt(long target, long offset, int position)
    {
        using var index = new OffsetIndex(FilePath("a.index"), 100, 80, writable: true);
        index.Append(110, 500);

        Assert.That(index.Lookup(target), Is.EqualTo(new OffsetPosition(offset, position)));
    }

    [Test]
    public void Lookup_FullIndex_FindsEveryEntryAndEveryGap()
    {
        // 10 slots, offsets 10, 20, ..., 100 at positions 1000, 2000, ...
        using var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true);
        for (int i = 1; i <= 10; i++)
            index.Append(i * 10, i * 1000);
        Assert.That(index.IsFull, Is.True);

        Assert.Multiple(() =>
        {
            Assert.That(index.Lookup(9), Is.EqualTo(new OffsetPosition(0, 0)), "below the first");
            for (int i = 1; i <= 10; i++)
            {
                Assert.That(index.Lookup(i * 10), Is.EqualTo(new OffsetPosition(i * 10, i * 1000)), "equal");
                Assert.That(index.Lookup(i * 10 + 5), Is.EqualTo(new OffsetPosition(i * 10, i * 1000)), "between");
            }
            Assert.That(index.Lookup(1_000_000), Is.EqualTo(new OffsetPosition(100, 10_000)), "above the last");
        });
    }

    [Test]
    public void Lookup_MoreEntriesThanTheWarmSection_SearchesColdAndWarmParts()
    {
        // 8192 / 8 = 1024 warm entries; 3000 entries put the first ~2000 in the cold part.
        using var index = new OffsetIndex(FilePath("a.index"), 1000, 3000 * 8, writable: true);
        for (int i = 1; i <= 3000; i++)
            index.Append(1000 + i * 2, i * 7);

        Assert.Multiple(() =>
        {
            foreach (int i in new[] { 1, 2, 500, 1975, 1976, 1977, 2999, 3000 })
            {
                Assert.That(index.Lookup(1000 + i * 2), Is.EqualTo(new OffsetPosition(1000 + i * 2, i * 7)));
                Assert.That(index.Lookup(1000 + i * 2 + 1), Is.EqualTo(new OffsetPosition(1000 + i * 2, i * 7)));
            }
            Assert.That(index.Lookup(1001), Is.EqualTo(new OffsetPosition(1000, 0)));
        });
    }

    [Test]
    public void Append_WhenFull_ThrowsInvalidOperation()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 16, writable: true);
        index.Append(1, 10);
        index.Append(2, 20);

        Assert.That(() => index.Append(3, 30), Throws.InvalidOperationException.With.Message.Contains("full"));
        Assert.That(index.Entries, Is.EqualTo(2));
    }

    [TestCase(20, 300, Description = "offset equal to the last")]
    [TestCase(19, 300, Description = "offset below the last")]
    [TestCase(21, 199, Description = "position below the last")]
    public void Append_OutOfOrder_ThrowsInvalidOperation(long offset, int position)
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true);
        index.Append(20, 200);

        Assert.That(() => index.Append(offset, position),
            Throws.InvalidOperationException.With.Message.Contains("no larger than the last offset appended (20"));
        Assert.That(index.Entries, Is.EqualTo(1));
    }

    [Test]
    public void Append_SamePositionHigherOffset_IsAccepted()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true);
        index.Append(20, 200);

        index.Append(21, 200);

        Assert.That(index.Entries, Is.EqualTo(2));
    }

    [TestCase(100, Description = "the base offset would be an all-zero entry")]
    [TestCase(99)]
    public void Append_OffsetNotAboveBaseOffset_ThrowsInvalidOperation(long offset)
    {
        using var index = new OffsetIndex(FilePath("a.index"), 100, 80, writable: true);

        Assert.That(() => index.Append(offset, 10), Throws.InvalidOperationException);
    }

    [Test]
    public void Append_RelativeOffsetOverflowsInt32_ThrowsInvalidOperation()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 100, 80, writable: true);

        Assert.That(() => index.Append(100 + (long)int.MaxValue + 1, 10),
            Throws.InvalidOperationException.With.Message.Contains("overflow"));
        Assert.DoesNotThrow(() => index.Append(100 + (long)int.MaxValue, 10));
    }

    [Test]
    public void Append_ReadOnlyIndex_ThrowsInvalidOperation()
    {
        string path = WriteOffsetIndex("a.index", 0, (5, 50));
        using var index = new OffsetIndex(path, 0, 80, writable: false);

        Assert.That(() => index.Append(6, 60), Throws.InvalidOperationException.With.Message.Contains("read-only"));
    }

    [Test]
    public void Entry_OutOfRange_ThrowsArgumentOutOfRange()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true);
        index.Append(5, 50);

        Assert.That(() => index.Entry(1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => index.Entry(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [TestCase(5, 0, Description = "below the first entry: all go")]
    [TestCase(10, 0, Description = "exactly the first entry: it goes too")]
    [TestCase(15, 1, Description = "between: the lower entry stays")]
    [TestCase(30, 2)]
    [TestCase(31, 3, Description = "above the last: nothing changes")]
    public void TruncateTo_Offset_RemovesEntriesAtOrAboveIt(long offset, int remaining)
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true);
        index.Append(10, 100);
        index.Append(20, 200);
        index.Append(30, 300);

        index.TruncateTo(offset);

        Assert.That(index.Entries, Is.EqualTo(remaining));
        Assert.That(index.LastOffset, Is.EqualTo(remaining == 0 ? 0 : remaining * 10));
        index.Append(40, 400); // appending continues after the new last entry
        Assert.That(index.Lookup(35), Is.EqualTo(remaining == 0 ? new OffsetPosition(0, 0) : new OffsetPosition(remaining * 10, remaining * 100)));
    }

    [Test]
    public void TruncateTo_ThenCrash_ReopensWithoutTheDroppedEntries()
    {
        string path = FilePath("a.index");
        using var index = new OffsetIndex(path, 0, 80, writable: true);
        for (int i = 1; i <= 5; i++)
            index.Append(i * 10, i * 100);

        index.TruncateTo(30);

        using var reopened = new OffsetIndex(CrashImage(path), 0, 80, writable: false);
        Assert.That(reopened.Entries, Is.EqualTo(2));
        Assert.That(reopened.Lookup(45), Is.EqualTo(new OffsetPosition(20, 200)));
    }

    [Test]
    public void SanityCheck_OffsetsNotIncreasing_ThrowsCorruptIndex()
    {
        string path = FilePath("a.index");
        File.WriteAllBytes(path, [0, 0, 0, 20, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30]);
        using var index = new OffsetIndex(path, 0, 80, writable: false);

        Assert.That(index.SanityCheck, Throws.TypeOf<CorruptIndexException>().With.Message.Contains("entry 1"));
    }

    [Test]
    public void SanityCheck_PositionsDecreasing_ThrowsCorruptIndex()
    {
        string path = FilePath("a.index");
        File.WriteAllBytes(path, [0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 21, 0, 0, 0, 10]);
        using var index = new OffsetIndex(path, 0, 80, writable: false);

        Assert.That(index.SanityCheck, Throws.TypeOf<CorruptIndexException>().With.Message.Contains("position"));
    }

    [Test]
    public void SanityCheck_SizeNotMultipleOfEight_ThrowsCorruptIndex()
    {
        string path = FilePath("a.index");
        File.WriteAllBytes(path, [0, 0, 0, 20, 0, 0, 0, 10, 0, 0, 0]);
        using var index = new OffsetIndex(path, 0, 80, writable: false);

        Assert.That(index.Entries, Is.EqualTo(1));
        Assert.That(index.SanityCheck, Throws.TypeOf<CorruptIndexException>().With.Message.Contains("multiple of 8"));
    }

    [Test]
    public void SanityCheck_NegativeRelativeOffset_ThrowsCorruptIndex()
    {
        string path = FilePath("a.index");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 10]);
        using var index = new OffsetIndex(path, 100, 80, writable: false);

        Assert.That(index.SanityCheck, Throws.TypeOf<CorruptIndexException>().With.Message.Contains("base offset 100"));
    }

    [Test]
    public void Lookup_RandomIncreasingEntries_MatchesLinearScan()
    {
        int file = 0;
        var gen = Gen.Select(Gen.Long[0, 1L << 40], Gen.Int[1, 40].Array[0, 300], Gen.Long[-50, 13_000].Array[1, 40]);
        gen.Sample((baseOffset, deltas, targets) =>
        {
            string path = FilePath($"p{Interlocked.Increment(ref file)}.index");
            using var index = new OffsetIndex(path, baseOffset, Math.Max(8, deltas.Length * 8), writable: true);
            var offsets = new long[deltas.Length];
            long offset = baseOffset;
            for (int i = 0; i < deltas.Length; i++)
            {
                offset += deltas[i];
                offsets[i] = offset;
                index.Append(offset, i * 3);
            }
            foreach (long t in targets)
            {
                long target = baseOffset + t;
                int slot = LinearLargestLowerBound(offsets, target);
                var expected = slot < 0 ? new OffsetPosition(baseOffset, 0) : new OffsetPosition(offsets[slot], slot * 3);
                if (index.Lookup(target) != expected)
                    return false;
            }
            index.DeleteIfExists();
            return true;
        }, iter: 300);
    }
}
