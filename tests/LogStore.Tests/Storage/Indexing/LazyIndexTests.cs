using LogStore.Storage;
using LogStore.Storage.Indexing;

namespace LogStore.Tests.Storage.Indexing;

/// <summary><see cref="LazyIndex{T}"/> through its two concrete kinds.</summary>
[TestFixture]
public sealed class LazyIndexTests : IndexTestFiles
{
    [Test]
    public void Constructor_TwoThousandIndexes_TouchesNoFile()
    {
        var cache = new SegmentFileCache();
        var indexes = new List<LazyOffsetIndex>();
        var timeIndexes = new List<LazyTimeIndex>();
        for (int i = 0; i < 2000; i++)
        {
            indexes.Add(new LazyOffsetIndex(FilePath($"{i:D20}.index"), i * 100L, 1024, writable: false, cache));
            timeIndexes.Add(new LazyTimeIndex(FilePath($"{i:D20}.timeindex"), i * 100L, 1024, writable: false, cache));
        }

        Assert.That(indexes.Any(x => x.IsOpen) || timeIndexes.Any(x => x.IsOpen), Is.False);
        Assert.That(cache.Count, Is.EqualTo(0));
        Assert.That(Directory.EnumerateFileSystemEntries(Dir), Is.Empty, "not even created");
    }

    [Test]
    public void Lookup_FirstUse_OpensTheFileAndAnswers()
    {
        var lazy = new LazyOffsetIndex(CopyVector("segment-3-batches.index"), 0, 1024, writable: false);
        Assert.That(lazy.IsOpen, Is.False);

        Assert.That(lazy.Lookup(20), Is.EqualTo(new OffsetPosition(19, 231)));

        Assert.That(lazy.IsOpen, Is.True);
        Assert.That(lazy.Entries(), Is.EqualTo(2));
        lazy.Close();
    }

    [Test]
    public void Lookup_AfterClose_ReopensTransparently()
    {
        using var lazy = new LazyTimeIndex(CopyVector("segment-3-batches.timeindex"), 0, 1200, writable: false);
        Assert.That(lazy.Lookup(1700000001500).Offset, Is.EqualTo(19));

        lazy.Close();
        Assert.That(lazy.IsOpen, Is.False);

        Assert.That(lazy.Lookup(1700000009999), Is.EqualTo(new TimestampOffset(1700000002009, 29)));
        Assert.That(lazy.LastEntry(), Is.EqualTo(new TimestampOffset(1700000002009, 29)));
    }

    [Test]
    public void Append_WritableLazyIndex_CreatesTheFileOnFirstUseAndJoinsTheCache()
    {
        string path = FilePath("00000000000000000000.index");
        var cache = new SegmentFileCache(capacity: 1);
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: true, cache);
        Assert.That(File.Exists(path), Is.False);

        lazy.Append(19, 231);
        lazy.Append(29, 472);

        Assert.That(new FileInfo(path).Length, Is.EqualTo(80), "grown to its capacity, below one step");
        Assert.That(cache.Count, Is.EqualTo(1), "an active index is cached, and evicted when idle, like the others");
        Assert.That(lazy.Get().IsWritable, Is.True);
    }

    [Test]
    public void Evict_WritableIndex_ClosesUntrimmedAndTheNextAppendReopensIt()
    {
        string path = FilePath("00000000000000000000.index");
        var cache = new SegmentFileCache(capacity: 1);
        using var lazy = new LazyOffsetIndex(path, 0, 800, writable: true, cache);
        lazy.Append(19, 231);
        using var other = new LazyOffsetIndex(WriteOffsetIndex("b.index", 0, (10, 100)), 0, 80, writable: false, cache);

        other.Lookup(10);

        Assert.That(lazy.IsOpen, Is.False, "the least recently used file was closed");
        Assert.That(lazy.IsWritable, Is.True);
        Assert.That(lazy.IsFull, Is.False, "answered without reopening");
        Assert.That(lazy.IsOpen, Is.False);
        lazy.Append(29, 472);
        Assert.That(lazy.Entries(), Is.EqualTo(2));
        lazy.Close();
        Assert.That(new FileInfo(path).Length, Is.EqualTo(16), "the close trimmed the file the eviction left untrimmed");
    }

    [Test]
    public void Close_EvictedChangedWritableIndex_ReopensToTrim()
    {
        string path = FilePath("00000000000000000000.index");
        var cache = new SegmentFileCache(capacity: 1);
        using var lazy = new LazyOffsetIndex(path, 0, 800, writable: true, cache);
        lazy.Append(19, 231);
        cache.EvictAll();
        Assert.That(new FileInfo(path).Length, Is.EqualTo(800), "the eviction left the grown file as it was");

        lazy.Close();

        Assert.That(new FileInfo(path).Length, Is.EqualTo(8));
        Assert.That(lazy.IsWritable, Is.False);
    }

    [Test]
    public void MakeReadOnly_OpenActiveIndex_TrimsAndJoinsTheCache()
    {
        string path = FilePath("00000000000000000000.timeindex");
        var cache = new SegmentFileCache();
        using var lazy = new LazyTimeIndex(path, 0, 120, writable: true, cache);
        foreach (var (timestamp, offset) in VectorTimes)
            lazy.MaybeAppend(timestamp, offset);

        lazy.MakeReadOnly();

        Assert.That(lazy.IsWritable, Is.False);
        Assert.That(lazy.IsOpen, Is.True);
        Assert.That(cache.Count, Is.EqualTo(1));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(File.ReadAllBytes(VectorPath("segment-3-batches.timeindex"))));
    }

    [Test]
    public void MakeReadOnly_NeverUsedActiveIndex_LeavesEmptyTrimmedFile()
    {
        string path = FilePath("00000000000000000000.index");
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: true);

        lazy.MakeReadOnly();

        Assert.That(new FileInfo(path).Length, Is.EqualTo(0));
        lazy.Close();
        Assert.That(lazy.Lookup(5), Is.EqualTo(new OffsetPosition(0, 0)));
    }

    [Test]
    public void MakeWritable_InactiveIndex_ReopensWritableForTruncation()
    {
        string path = WriteOffsetIndex("a.index", 0, (10, 100), (20, 200), (30, 300));
        var cache = new SegmentFileCache();
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: false, cache);
        lazy.Lookup(15);
        Assert.That(cache.Count, Is.EqualTo(1));

        lazy.MakeWritable();
        lazy.TruncateTo(20);
        lazy.Append(25, 250);

        Assert.That(cache.Count, Is.EqualTo(1), "reopened writable, and cached");
        Assert.That(new FileInfo(path).Length, Is.EqualTo(24), "no growth: the truncation left room for the entry");
        Assert.That(lazy.Lookup(29), Is.EqualTo(new OffsetPosition(25, 250)));
        Assert.That(lazy.Entries(), Is.EqualTo(2));
    }

    [Test]
    public void IsFull_EmptyIndexMadeWritableAfterAReadOnlyOpen_IsNotFull()
    {
        // A clean open reads an empty active index read-only (capacity 0) before making it writable: that capacity must
        // not make every later append roll.
        string path = FilePath("a.index");
        File.WriteAllBytes(path, []);
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: false);
        Assert.That(lazy.Lookup(5), Is.EqualTo(new OffsetPosition(0, 0)));

        lazy.MakeWritable();

        Assert.That(lazy.IsFull, Is.False);
    }

    [Test]
    public void TruncateTo_ReadOnlyLazyIndex_ThrowsInvalidOperation()
    {
        string path = WriteOffsetIndex("a.index", 0, (10, 100));
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: false);

        Assert.That(() => lazy.TruncateTo(5), Throws.InvalidOperationException);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void RenameTo_OpenOrNot_MovesFileAndNextUseReadsNewPath(bool open)
    {
        string path = WriteOffsetIndex("a.index", 0, (10, 100));
        string newPath = FilePath("a.index.deleted");
        var cache = new SegmentFileCache();
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: false, cache);
        if (open)
            lazy.Lookup(10);

        lazy.RenameTo(newPath);

        Assert.That(lazy.Path, Is.EqualTo(newPath));
        Assert.That(File.Exists(path), Is.False);
        Assert.That(File.Exists(newPath), Is.True);
        Assert.That(lazy.IsOpen, Is.False);
        Assert.That(cache.Count, Is.EqualTo(0));
        Assert.That(lazy.Lookup(11), Is.EqualTo(new OffsetPosition(10, 100)));
    }

    [Test]
    public void RenameTo_MissingFile_OnlyChangesPath()
    {
        using var lazy = new LazyTimeIndex(FilePath("never.timeindex"), 0, 120, writable: false);

        lazy.RenameTo(FilePath("never.timeindex.deleted"));

        Assert.That(lazy.Path, Is.EqualTo(FilePath("never.timeindex.deleted")));
        Assert.That(Directory.EnumerateFileSystemEntries(Dir), Is.Empty);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DeleteIfExists_OpenOrNot_DeletesTheFile(bool open)
    {
        string path = WriteOffsetIndex("a.index", 0, (10, 100));
        var cache = new SegmentFileCache();
        var lazy = new LazyOffsetIndex(path, 0, 80, writable: false, cache);
        if (open)
            lazy.Lookup(10);

        Assert.That(lazy.DeleteIfExists(), Is.True);
        Assert.That(File.Exists(path), Is.False);
        Assert.That(lazy.IsOpen, Is.False);
        Assert.That(cache.Count, Is.EqualTo(0));
        Assert.That(lazy.DeleteIfExists(), Is.False);
    }

    [Test]
    public void Lookup_MissingFile_ThrowsStorageException()
    {
        using var lazy = new LazyOffsetIndex(FilePath("gone.index"), 0, 80, writable: false);

        Assert.That(() => lazy.Lookup(5), Throws.TypeOf<StorageException>());
        Assert.That(lazy.IsOpen, Is.False);
    }

    [Test]
    public void SanityCheck_CorruptFile_ThrowsCorruptIndex()
    {
        string path = FilePath("a.index");
        File.WriteAllBytes(path, [0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 2]);
        using var lazy = new LazyOffsetIndex(path, 0, 80, writable: false);

        Assert.That(lazy.SanityCheck, Throws.TypeOf<CorruptIndexException>());
    }

    private string CopyVector(string name)
    {
        string path = FilePath(name);
        File.Copy(VectorPath(name), path);
        return path;
    }
}
