using LogStore.Storage.Files;
using LogStore.Storage.Indexing;
using LogStore.Tests.Reliability;

namespace LogStore.Tests.Storage.Indexing;

/// <summary>What <see cref="IndexFile"/> gives both index kinds: mapping, preallocation, counting, trimming, closing.</summary>
[TestFixture]
public sealed class IndexFileTests : IndexTestFiles
{
    [TestCase(100, 12)]
    [TestCase(80, 10)]
    [TestCase(8, 1)]
    public void Constructor_WritableNewFile_ReservesNothingAndHoldsUpToTheRoundedDownSize(int maxIndexSize, int maxEntries)
    {
        string path = FilePath("a.index");
        using var index = new OffsetIndex(path, 0, maxIndexSize, writable: true);

        Assert.That(new FileInfo(path).Length, Is.EqualTo(0), "opening takes no disk space");
        Assert.That(index.MaxEntries, Is.EqualTo(maxEntries));
        Assert.That(index.Entries, Is.EqualTo(0));
        Assert.That(index.IsWritable, Is.True);
    }

    [Test]
    public void Append_WritableTimeIndex_GrowsToWholeEntries()
    {
        string path = FilePath("a.timeindex");
        using var index = new TimeIndex(path, 0, 100, writable: true);

        index.MaybeAppend(1000, 5);

        Assert.That(new FileInfo(path).Length, Is.EqualTo(96));
        Assert.That(index.MaxEntries, Is.EqualTo(8));
    }

    [Test]
    public void Append_PastTheGrownLength_GrowsByAStepReservingItsBlocks()
    {
        string path = FilePath("a.index");
        var files = new FaultInjectingFileSystem();
        using var index = new OffsetIndex(path, 0, 1 << 20, writable: true, files);

        for (int i = 1; i <= 513; i++)
            index.Append(i, i * 10);

        Assert.That(files.Count(FileOperation.Preallocate), Is.EqualTo(2), "one step of 512 entries, then a second");
        Assert.That(index.FileLength, Is.EqualTo(2 * IndexFile.GrowthStep));
        Assert.That(index.Lookup(513), Is.EqualTo(new OffsetPosition(513, 5130)));
    }

    [Test]
    public void EnsureRoom_DiskFull_ThrowsStorageExceptionNamingTheIndexAndKeepsItsEntries()
    {
        string path = FilePath("a.index");
        var files = new FaultInjectingFileSystem();
        using var index = new OffsetIndex(path, 0, 1 << 20, writable: true, files);
        for (int i = 1; i <= 512; i++)
            index.Append(i, i * 10);
        files.FillDisk();

        Assert.That(() => index.EnsureRoom(1), Throws.TypeOf<StorageException>().With.Property(nameof(StorageException.FilePath)).EqualTo(path));

        Assert.That(index.Entries, Is.EqualTo(512));
        Assert.That(index.IsFull, Is.False, "the append path's failure leaves the index growable once space is freed");
        Assert.That(index.Lookup(400), Is.EqualTo(new OffsetPosition(400, 4000)));
        files.FreeSpace();
        index.EnsureRoom(1);
        index.Append(513, 5130);
        Assert.That(index.Entries, Is.EqualTo(513));
    }

    [Test]
    public void Append_GrowthRefusedByAFullDisk_SkipsTheEntryAndTheIndexBecomesFull()
    {
        // Recovery rebuilding an index cannot fail for a hint: the index stays sparser and the next append rolls.
        var files = new FaultInjectingFileSystem();
        using var index = new OffsetIndex(FilePath("a.index"), 0, 1 << 20, writable: true, files);
        for (int i = 1; i <= 512; i++)
            index.Append(i, i * 10);
        files.FillDisk();

        index.Append(513, 5130);

        Assert.That(index.Entries, Is.EqualTo(512));
        Assert.That(index.IsFull, Is.True);
        Assert.That(index.Lookup(600), Is.EqualTo(new OffsetPosition(512, 5120)));
    }

    [Test]
    public void Close_UnchangedWritableIndex_WritesAndSyncsNothing()
    {
        string path = WriteOffsetIndex("a.index", 0, (10, 100), (20, 200));
        var files = new FaultInjectingFileSystem();
        var index = new OffsetIndex(path, 0, 80, writable: true, files);
        Assert.That(index.Lookup(15), Is.EqualTo(new OffsetPosition(10, 100)));

        index.Close();

        Assert.That(files.Count(FileOperation.Flush) + files.Count(FileOperation.SetLength), Is.Zero);
        Assert.That(new FileInfo(path).Length, Is.EqualTo(16));
    }

    [Test]
    public void Close_ChangedWritableIndex_TrimsAndSyncsOnce()
    {
        var files = new FaultInjectingFileSystem();
        var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true, files);
        index.Append(10, 100);

        index.Close();

        Assert.That(files.Count(FileOperation.Flush), Is.EqualTo(1));
    }

    [Test]
    public void Constructor_MaxIndexSizeBelowOneEntry_ThrowsArgumentOutOfRange()
    {
        Assert.That(() => new OffsetIndex(FilePath("a.index"), 0, 7, writable: true), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Constructor_ReadOnlyEmptyFile_HasNoEntriesAndAnswersLookups()
    {
        string path = FilePath("a.index");
        File.WriteAllBytes(path, []);
        using var index = new OffsetIndex(path, 50, 80, writable: false);

        Assert.That(index.Entries, Is.EqualTo(0));
        Assert.That(index.MaxEntries, Is.EqualTo(0));
        Assert.That(index.Lookup(60), Is.EqualTo(new OffsetPosition(50, 0)));
        Assert.DoesNotThrow(index.SanityCheck);
    }

    [Test]
    public void Constructor_ReadOnlyMissingFile_ThrowsStorageExceptionNamingTheFile()
    {
        string path = FilePath("missing.index");

        Assert.That(() => new OffsetIndex(path, 0, 80, writable: false),
            Throws.TypeOf<StorageException>().With.Property(nameof(StorageException.FilePath)).EqualTo(path));
        Assert.That(File.Exists(path), Is.False);
    }

    [Test]
    public void Constructor_PreallocatedNeverWritten_LoadsZeroEntries()
    {
        // KAFKA-19200: a crash before the first trim leaves a zero-filled file of the preallocated length.
        string path = FilePath("a.index");
        using var active = new OffsetIndex(path, 0, 80, writable: true);
        active.Append(10, 100);
        active.TruncateToEntries(0);
        active.Flush();
        string crashed = CrashImage(path);
        Assert.That(new FileInfo(crashed).Length, Is.EqualTo(80), "grown, then emptied: zeros");

        using var readOnly = new OffsetIndex(crashed, 0, 80, writable: false);
        using var writable = new TimeIndex(CrashImageOfZeros(96), 0, 96, writable: true);

        Assert.That(readOnly.Entries, Is.EqualTo(0));
        Assert.That(readOnly.IsFull, Is.False);
        Assert.That(writable.Entries, Is.EqualTo(0));
        Assert.DoesNotThrow(readOnly.SanityCheck);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(5)]
    [TestCase(9)]
    [TestCase(10)]
    public void Constructor_PartiallyWrittenPreallocated_CountsWrittenEntries(int written)
    {
        string path = FilePath("a.index");
        using var active = new OffsetIndex(path, 1000, 80, writable: true);
        for (int i = 1; i <= written; i++)
            active.Append(1000 + i * 10, i * 100);
        active.Flush();
        string crashed = CrashImage(path);

        using var readOnly = new OffsetIndex(crashed, 1000, 80, writable: false);
        Assert.That(readOnly.Entries, Is.EqualTo(written));
        Assert.That(readOnly.LastOffset, Is.EqualTo(1000 + written * 10));
        Assert.That(readOnly.Lookup(long.MaxValue), Is.EqualTo(new OffsetPosition(1000 + written * 10, written * 100)));
        readOnly.Close();

        using var reopenedWritable = new OffsetIndex(crashed, 1000, 80, writable: true);
        Assert.That(reopenedWritable.Entries, Is.EqualTo(written));
        if (written < 10)
            Assert.DoesNotThrow(() => reopenedWritable.Append(1000 + written * 10 + 1, written * 100 + 1));
    }

    [TestCase(5, 0)]
    [TestCase(8, 1)]
    [TestCase(13, 1)]
    public void Constructor_ShortOrRaggedFile_ReadsOnlyWholeEntries(int length, int entries)
    {
        string path = FilePath("a.index");
        var bytes = new byte[length];
        Array.Fill(bytes, (byte)0x11);
        File.WriteAllBytes(path, bytes);

        using var index = new OffsetIndex(path, 0, 80, writable: false);

        Assert.That(index.Entries, Is.EqualTo(entries));
        Assert.That(() => index.Lookup(long.MaxValue), Throws.Nothing);
    }

    [Test]
    public void Constructor_WritableExistingTrimmedFile_KeepsEntriesAndGrowsOnAppend()
    {
        string path = WriteOffsetIndex("a.index", 0, (10, 100), (20, 200));
        Assert.That(new FileInfo(path).Length, Is.EqualTo(16));

        using var index = new OffsetIndex(path, 0, 80, writable: true);

        Assert.That(new FileInfo(path).Length, Is.EqualTo(16));
        Assert.That(index.Entries, Is.EqualTo(2));
        index.Append(30, 300);
        Assert.That(new FileInfo(path).Length, Is.EqualTo(80));
        Assert.That(index.Lookup(35), Is.EqualTo(new OffsetPosition(30, 300)));
    }

    [Test]
    public void TrimToValidSize_WritableIndex_ShrinksFileAndBecomesReadOnly()
    {
        string path = FilePath("a.index");
        using var index = new OffsetIndex(path, 0, 800, writable: true);
        index.Append(10, 100);
        index.Append(20, 200);

        index.TrimToValidSize();

        Assert.That(new FileInfo(path).Length, Is.EqualTo(16));
        Assert.That(index.SizeInBytes, Is.EqualTo(16));
        Assert.That(index.IsWritable, Is.False);
        Assert.That(index.Lookup(25), Is.EqualTo(new OffsetPosition(20, 200)));
    }

    [Test]
    public void TrimToValidSize_NoEntries_LeavesEmptyUnmappedFile()
    {
        string path = FilePath("a.index");
        using var index = new OffsetIndex(path, 7, 800, writable: true);

        index.TrimToValidSize();

        Assert.That(new FileInfo(path).Length, Is.EqualTo(0));
        Assert.That(index.Lookup(100), Is.EqualTo(new OffsetPosition(7, 0)));
    }

    [Test]
    public void Close_WritableIndex_TrimsFile()
    {
        string path = FilePath("a.index");
        var index = new OffsetIndex(path, 0, 800, writable: true);
        index.Append(10, 100);

        index.Close();

        Assert.That(new FileInfo(path).Length, Is.EqualTo(8));
        Assert.That(index.IsClosed, Is.True);
        Assert.That(() => index.Lookup(10), Throws.TypeOf<ObjectDisposedException>());
        Assert.DoesNotThrow(index.Close, "closing twice is harmless");
    }

    [Test]
    public void Resize_Larger_KeepsEntriesAndAddsSlots()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 16, writable: true);
        index.Append(10, 100);
        index.Append(20, 200);
        Assert.That(index.IsFull, Is.True);

        bool changed = index.Resize(45);

        Assert.That(changed, Is.True);
        Assert.That(index.MaxEntries, Is.EqualTo(5));
        Assert.That(index.FileLength, Is.EqualTo(16), "the file grows when entries need it");
        Assert.That(index.Entries, Is.EqualTo(2));
        index.Append(30, 300);
        Assert.That(index.FileLength, Is.EqualTo(40));
        Assert.That(index.Lookup(31), Is.EqualTo(new OffsetPosition(30, 300)));
        Assert.That(index.Resize(40), Is.False, "same size");
    }

    [Test]
    public void Resize_BelowEntries_ThrowsArgumentOutOfRange()
    {
        using var index = new OffsetIndex(FilePath("a.index"), 0, 80, writable: true);
        index.Append(10, 100);
        index.Append(20, 200);

        Assert.That(() => index.Resize(15), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(index.Entries, Is.EqualTo(2));
    }

    [Test]
    public void Reset_WithEntries_EmptiesAndGivesTheBlocksBack()
    {
        string path = FilePath("a.index");
        using var index = new OffsetIndex(path, 0, 80, writable: true);
        index.Append(10, 100);

        index.Reset();

        Assert.That(index.Entries, Is.EqualTo(0));
        Assert.That(new FileInfo(path).Length, Is.EqualTo(0));
        Assert.That(index.LastOffset, Is.EqualTo(0));
        index.Append(20, 200);
        Assert.That(index.Lookup(25), Is.EqualTo(new OffsetPosition(20, 200)));
    }

    [Test]
    public void Flush_WritableIndex_EntriesVisibleInFileImage()
    {
        string path = FilePath("a.index");
        using var index = new OffsetIndex(path, 0, 80, writable: true);
        index.Append(19, 231);

        index.Flush();

        byte[] image = File.ReadAllBytes(CrashImage(path));
        Assert.That(image.AsSpan(0, 8).ToArray(), Is.EqualTo(File.ReadAllBytes(VectorPath("segment-3-batches.index")).AsSpan(0, 8).ToArray()));
    }

    [Test]
    public void DeleteIfExists_OpenIndex_ClosesAndDeletes()
    {
        string path = FilePath("a.index");
        var index = new OffsetIndex(path, 0, 80, writable: true);

        Assert.That(index.DeleteIfExists(), Is.True);
        Assert.That(File.Exists(path), Is.False);
        Assert.That(index.IsClosed, Is.True);
        Assert.That(index.DeleteIfExists(), Is.False);
    }

    [Test]
    public void RenameTo_OpenWritableIndex_TrimsMovesAndCloses()
    {
        string path = FilePath("a.index");
        string newPath = FilePath("a.index.deleted");
        var index = new OffsetIndex(path, 0, 80, writable: true);
        index.Append(10, 100);

        index.RenameTo(newPath);

        Assert.That(File.Exists(path), Is.False);
        Assert.That(new FileInfo(newPath).Length, Is.EqualTo(8));
        Assert.That(index.Path, Is.EqualTo(newPath));
        Assert.That(index.IsClosed, Is.True);
    }

    [Test]
    public void Lookup_ConcurrentWithClose_NeverFaults()
    {
        string path = WriteOffsetIndex("a.index", 0, [.. Enumerable.Range(1, 1000).Select(i => ((long)i * 2, i * 10))]);
        for (int round = 0; round < 20; round++)
        {
            var index = new OffsetIndex(path, 0, 80, writable: false);
            int wrong = 0;
            var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    try
                    {
                        if (index.Lookup(1001) != new OffsetPosition(1000, 5000))
                            Interlocked.Increment(ref wrong);
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            })).ToArray();
            index.Close();
            Task.WaitAll(readers);
            Assert.That(wrong, Is.EqualTo(0));
        }
    }

    private string CrashImageOfZeros(int length)
    {
        string path = FilePath($"zeros-{length}.timeindex");
        File.WriteAllBytes(path, new byte[length]);
        return path;
    }
}
