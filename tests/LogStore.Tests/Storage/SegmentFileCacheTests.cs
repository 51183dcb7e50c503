using LogStore.Storage;
using LogStore.Storage.Indexing;

namespace LogStore.Tests.Storage.Indexing;

[TestFixture]
public sealed class SegmentFileCacheTests : IndexTestFiles
{
    [Test]
    public void Constructor_ZeroCapacity_ThrowsArgumentOutOfRange()
    {
        Assert.That(() => new SegmentFileCache(0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Register_BeyondCapacity_ClosesLeastRecentlyUsed()
    {
        var cache = new SegmentFileCache(capacity: 3);
        LazyOffsetIndex[] lazies = CreateSegments(cache, 5);

        lazies[0].Lookup(15);
        lazies[1].Lookup(15);
        lazies[2].Lookup(15);
        lazies[0].Lookup(15); // now [1] is the least recently used
        Assert.That(cache.Count, Is.EqualTo(3));

        lazies[3].Lookup(15);

        Assert.That(cache.Count, Is.EqualTo(3));
        Assert.That(lazies.Select(x => x.IsOpen), Is.EqualTo(new[] { true, false, true, true, false }));

        lazies[4].Lookup(15);

        Assert.That(lazies.Select(x => x.IsOpen), Is.EqualTo(new[] { true, false, false, true, true }));
    }

    [Test]
    public void Lookup_AfterEviction_ReopensAndAnswers()
    {
        var cache = new SegmentFileCache(capacity: 1);
        LazyOffsetIndex[] lazies = CreateSegments(cache, 2);
        Assert.That(lazies[0].Lookup(25), Is.EqualTo(new OffsetPosition(20, 200)));

        lazies[1].Lookup(25);
        Assert.That(lazies[0].IsOpen, Is.False);

        Assert.That(lazies[0].Lookup(25), Is.EqualTo(new OffsetPosition(20, 200)));
        Assert.That(lazies[0].IsOpen, Is.True);
        Assert.That(lazies[1].IsOpen, Is.False);
        Assert.That(cache.Count, Is.EqualTo(1));
    }

    [Test]
    public void Register_WritableIndexes_AreCountedEvictedAndReopenedWithTheirEntries()
    {
        var cache = new SegmentFileCache(capacity: 1);
        using var active = new LazyOffsetIndex(FilePath("active.index"), 0, 80, writable: true, cache);
        active.Append(5, 50);
        LazyOffsetIndex[] inactive = CreateSegments(cache, 3);

        foreach (LazyOffsetIndex lazy in inactive)
            lazy.Lookup(15);

        Assert.That(active.IsOpen, Is.False, "an idle active index is closed like the others");
        Assert.That(cache.Count, Is.EqualTo(1));
        active.Append(7, 70);
        Assert.That(active.IsOpen, Is.True);
        Assert.That(cache.Count, Is.EqualTo(1));
        Assert.That(active.Lookup(6), Is.EqualTo(new OffsetPosition(5, 50)));
        Assert.That(active.Lookup(8), Is.EqualTo(new OffsetPosition(7, 70)));
    }

    [Test]
    public void EvictAll_OpenIndexes_ClosesThem()
    {
        var cache = new SegmentFileCache();
        LazyOffsetIndex[] lazies = CreateSegments(cache, 4);
        foreach (LazyOffsetIndex lazy in lazies)
            lazy.Lookup(15);

        cache.EvictAll();

        Assert.That(cache.Count, Is.EqualTo(0));
        Assert.That(lazies.Any(x => x.IsOpen), Is.False);
    }

    [Test]
    public void Close_RegisteredIndex_LeavesTheCache()
    {
        var cache = new SegmentFileCache();
        LazyOffsetIndex[] lazies = CreateSegments(cache, 2);
        lazies[0].Lookup(15);
        lazies[1].Lookup(15);

        lazies[0].Close();

        Assert.That(cache.Count, Is.EqualTo(1));
    }

    [Test]
    public void Lookup_ManyThreadsManySegmentsSmallCapacity_AlwaysAnswersAndStaysBounded()
    {
        var cache = new SegmentFileCache(capacity: 4);
        LazyOffsetIndex[] lazies = CreateSegments(cache, 32);
        int wrong = 0;

        Parallel.For(0, 8, worker =>
        {
            var random = new Random(worker);
            for (int i = 0; i < 2000; i++)
            {
                int segment = random.Next(lazies.Length);
                var expected = new OffsetPosition(segment * 1000 + 20, 200);
                if (lazies[segment].Lookup(segment * 1000 + 25) != expected)
                    Interlocked.Increment(ref wrong);
            }
        });

        Assert.That(wrong, Is.EqualTo(0));
        Assert.That(cache.Count, Is.LessThanOrEqualTo(4));
        Assert.That(lazies.Count(x => x.IsOpen), Is.LessThanOrEqualTo(4));
    }

    // Segment i has base offset i * 1000 and entries (base + 10, 100), (base + 20, 200).
    private LazyOffsetIndex[] CreateSegments(SegmentFileCache cache, int count)
    {
        var lazies = new LazyOffsetIndex[count];
        for (int i = 0; i < count; i++)
        {
            long baseOffset = i * 1000L;
            string path = WriteOffsetIndex($"{baseOffset:D20}.index", baseOffset, (baseOffset + 10, 100), (baseOffset + 20, 200));
            lazies[i] = new LazyOffsetIndex(path, baseOffset, 80, writable: false, cache);
        }
        return lazies;
    }
}
