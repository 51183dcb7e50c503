using CsCheck;
using LogStore.Storage.Indexing;

namespace LogStore.Tests.Storage.Indexing;

[TestFixture]
public sealed class TimeIndexTests : IndexTestFiles
{
    private const long T1 = 1700000001009;
    private const long T2 = 1700000002009;

    [Test]
    public void Constructor_KafkaVectorReadOnly_LoadsBothEntries()
    {
        using var index = new TimeIndex(VectorPath("segment-3-batches.timeindex"), 0, 1200, writable: false);

        Assert.That(index.Entries, Is.EqualTo(2));
        Assert.That(index.Entry(0), Is.EqualTo(new TimestampOffset(T1, 19)));
        Assert.That(index.Entry(1), Is.EqualTo(new TimestampOffset(T2, 29)));
        Assert.That(index.LastEntry, Is.EqualTo(new TimestampOffset(T2, 29)));
        Assert.DoesNotThrow(index.SanityCheck);
    }

    [TestCase(-1, -1, 0)]
    [TestCase(0, -1, 0)]
    [TestCase(1700000000000, -1, 0)]
    [TestCase(T1 - 1, -1, 0)]
    [TestCase(T1, T1, 19)]
    [TestCase(T1 + 500, T1, 19)]
    [TestCase(T2 - 1, T1, 19)]
    [TestCase(T2, T2, 29)]
    [TestCase(long.MaxValue, T2, 29)]
    public void Lookup_KafkaVector_ReturnsGreatestEntryAtOrBelowTarget(long target, long timestamp, long offset)
    {
        using var index = new TimeIndex(VectorPath("segment-3-batches.timeindex"), 0, 1200, writable: false);

        Assert.That(index.Lookup(target), Is.EqualTo(new TimestampOffset(timestamp, offset)));
    }

    [Test]
    public void TrimToValidSize_VectorEntries_WritesKafkaBytes()
    {
        string path = FilePath("00000000000000000000.timeindex");
        using var index = new TimeIndex(path, 0, 1024, writable: true);
        Assert.That(index.MaxEntries, Is.EqualTo(85), "1024 rounds down to 85 entries of 12 bytes");
        foreach (var (timestamp, offset) in VectorTimes)
            index.MaybeAppend(timestamp, offset);

        index.TrimToValidSize();

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(File.ReadAllBytes(VectorPath("segment-3-batches.timeindex"))));
    }

    [Test]
    public void Lookup_EmptyIndex_ReturnsNoTimestampAndBaseOffset()
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 100, 120, writable: true);

        Assert.That(index.Lookup(T1), Is.EqualTo(new TimestampOffset(TimeIndex.NoTimestamp, 100)));
        Assert.That(index.LastEntry, Is.EqualTo(new TimestampOffset(-1, 100)));
    }

    [Test]
    public void MaybeAppend_TimestampNotAboveLast_IsIgnored()
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 0, 120, writable: true);
        index.MaybeAppend(T1, 19);

        index.MaybeAppend(T1, 19);
        index.MaybeAppend(T1, 25);

        Assert.That(index.Entries, Is.EqualTo(1));
        Assert.That(index.LastEntry, Is.EqualTo(new TimestampOffset(T1, 19)));
    }

    [Test]
    public void MaybeAppend_NoTimestamp_AddsNothing()
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 0, 120, writable: true);

        index.MaybeAppend(TimeIndex.NoTimestamp, 5);

        Assert.That(index.Entries, Is.EqualTo(0));
    }

    [Test]
    public void MaybeAppend_TimestampGoesBackwards_ThrowsInvalidOperation()
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 0, 120, writable: true);
        index.MaybeAppend(T2, 19);

        Assert.That(() => index.MaybeAppend(T1, 29), Throws.InvalidOperationException.With.Message.Contains("timestamp"));
    }

    [Test]
    public void MaybeAppend_OffsetGoesBackwards_ThrowsInvalidOperation()
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 0, 120, writable: true);
        index.MaybeAppend(T1, 29);

        Assert.That(() => index.MaybeAppend(T2, 19), Throws.InvalidOperationException.With.Message.Contains("offset"));
    }

    [Test]
    public void MaybeAppend_LastSlot_IsReservedForSkipFullCheck()
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 0, 36, writable: true);
        index.MaybeAppend(T1, 1);
        index.MaybeAppend(T1 + 1, 2);

        Assert.That(index.IsFull, Is.True, "two of three slots used; the last is kept for the roll");
        Assert.That(() => index.MaybeAppend(T1 + 2, 3), Throws.InvalidOperationException.With.Message.Contains("full"));

        index.MaybeAppend(T1 + 2, 3, skipFullCheck: true);
        Assert.That(index.Entries, Is.EqualTo(3));
        Assert.That(() => index.MaybeAppend(T1 + 3, 4, skipFullCheck: true), Throws.InvalidOperationException);
    }

    [Test]
    public void MaybeAppend_EntryAtBaseOffset_SurvivesReopen()
    {
        // A one-batch segment rolled with its only batch holding the largest timestamp: relative offset 0.
        string path = FilePath("a.timeindex");
        using (var index = new TimeIndex(path, 500, 120, writable: true))
            index.MaybeAppend(T1, 500, skipFullCheck: true);

        using var reopened = new TimeIndex(path, 500, 120, writable: false);
        Assert.That(reopened.Entries, Is.EqualTo(1));
        Assert.That(reopened.Lookup(T2), Is.EqualTo(new TimestampOffset(T1, 500)));
    }

    [TestCase(5, 0)]
    [TestCase(10, 0)]
    [TestCase(15, 1)]
    [TestCase(30, 2)]
    [TestCase(31, 3)]
    public void TruncateTo_Offset_RemovesEntriesAtOrAboveIt(long offset, int remaining)
    {
        using var index = new TimeIndex(FilePath("a.timeindex"), 0, 120, writable: true);
        index.MaybeAppend(T1, 10);
        index.MaybeAppend(T1 + 10, 20);
        index.MaybeAppend(T1 + 20, 30);

        index.TruncateTo(offset);

        Assert.That(index.Entries, Is.EqualTo(remaining));
        var expectedLast = remaining == 0 ? new TimestampOffset(-1, 0) : new TimestampOffset(T1 + (remaining - 1) * 10, remaining * 10);
        Assert.That(index.LastEntry, Is.EqualTo(expectedLast));
    }

    [Test]
    public void SanityCheck_TimestampsNotIncreasing_ThrowsCorruptIndex()
    {
        string path = FilePath("a.timeindex");
        using (var index = new TimeIndex(path, 0, 24, writable: true))
        {
            index.MaybeAppend(T2, 10);
        }
        // Append a second entry with a smaller timestamp by hand.
        byte[] bytes = [.. File.ReadAllBytes(path), .. File.ReadAllBytes(VectorPath("segment-3-batches.timeindex")).AsSpan(0, 12)];
        File.WriteAllBytes(path, bytes);
        using var corrupt = new TimeIndex(path, 0, 24, writable: false);

        Assert.That(corrupt.Entries, Is.EqualTo(2));
        Assert.That(corrupt.SanityCheck, Throws.TypeOf<CorruptIndexException>().With.Message.Contains("timestamp"));
    }

    [Test]
    public void SanityCheck_SizeNotMultipleOfTwelve_ThrowsCorruptIndex()
    {
        string path = FilePath("a.timeindex");
        File.WriteAllBytes(path, File.ReadAllBytes(VectorPath("segment-3-batches.timeindex")).AsSpan(0, 16).ToArray());
        using var index = new TimeIndex(path, 0, 120, writable: false);

        Assert.That(index.Entries, Is.EqualTo(1));
        Assert.That(index.SanityCheck, Throws.TypeOf<CorruptIndexException>().With.Message.Contains("multiple of 12"));
    }

    [Test]
    public void Lookup_RandomIncreasingEntries_MatchesLinearScan()
    {
        int file = 0;
        var gen = Gen.Select(Gen.Int[1, 1000].Array[0, 300], Gen.Long[-100, 310_000].Array[1, 40]);
        gen.Sample((deltas, targets) =>
        {
            string path = FilePath($"p{Interlocked.Increment(ref file)}.timeindex");
            const long baseOffset = 1000;
            using var index = new TimeIndex(path, baseOffset, Math.Max(12, (deltas.Length + 1) * 12), writable: true);
            var timestamps = new long[deltas.Length];
            long timestamp = 0;
            for (int i = 0; i < deltas.Length; i++)
            {
                timestamp += deltas[i];
                timestamps[i] = timestamp;
                index.MaybeAppend(timestamp, baseOffset + i * 2);
            }
            foreach (long target in targets)
            {
                int slot = LinearLargestLowerBound(timestamps, target);
                var expected = slot < 0 ? new TimestampOffset(-1, baseOffset) : new TimestampOffset(timestamps[slot], baseOffset + slot * 2);
                if (index.Lookup(target) != expected)
                    return false;
            }
            index.DeleteIfExists();
            return true;
        }, iter: 300);
    }
}
