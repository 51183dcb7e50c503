using LogStore.Storage.Indexing;

namespace LogStore.Tests.Storage.Indexing;

/// <summary>A temp directory per test and helpers shared by the index fixtures.</summary>
public abstract class IndexTestFiles
{
    /// <summary>The segment-3-batches vectors' offset index entries (absolute offset, position).</summary>
    internal static readonly (long Offset, int Position)[] VectorOffsets = [(19, 231), (29, 472)];

    /// <summary>The segment-3-batches vectors' time index entries (timestamp, absolute offset).</summary>
    internal static readonly (long Timestamp, long Offset)[] VectorTimes = [(1700000001009, 19), (1700000002009, 29)];

    protected string Dir { get; private set; } = "";

    [SetUp]
    public void CreateTempDirectory()
    {
        Dir = Path.Combine(Path.GetTempPath(), "logstore-index-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    [TearDown]
    public void DeleteTempDirectory()
    {
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, recursive: true);
    }

    protected string FilePath(string name) => Path.Combine(Dir, name);

    protected static string VectorPath(string name) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "testdata", "kafka-record-batches", name);

    /// <summary>Writes a closed (trimmed) offset index holding the given entries.</summary>
    internal string WriteOffsetIndex(string name, long baseOffset, params (long Offset, int Position)[] entries)
    {
        string path = FilePath(name);
        using var index = new OffsetIndex(path, baseOffset, Math.Max(8, entries.Length * 8), writable: true);
        foreach (var (offset, position) in entries)
            index.Append(offset, position);
        return path;
    }

    /// <summary>Copies a file while it may still be open and mapped: the image a crash would leave.</summary>
    protected string CrashImage(string path)
    {
        string copy = path + ".crash-" + Guid.NewGuid().ToString("N")[..8];
        using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var target = new FileStream(copy, FileMode.CreateNew, FileAccess.Write))
            source.CopyTo(target);
        return copy;
    }

    /// <summary>Kafka's rule, the slow way: the greatest entry whose key is ≤ target, or -1.</summary>
    internal static int LinearLargestLowerBound(long[] keys, long target)
    {
        int found = -1;
        for (int i = 0; i < keys.Length && keys[i] <= target; i++)
            found = i;
        return found;
    }
}
