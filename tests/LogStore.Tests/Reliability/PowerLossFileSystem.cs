using LogStore.Storage.Files;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The store's file operations, done on the real disk, plus a record of what each fsync made durable — of a file its
/// bytes, of a directory its entries — so that a test can build the directory tree a power loss at this moment could
/// leave (<see cref="WriteImage"/>). The fsyncs themselves are recorded, not done: the record is what counts here.
/// </summary>
/// <remarks>
/// <para>File bytes: a file's bytes are durable once an fsync of it has returned, counting only the bytes the file held
/// when that fsync began (an append racing the fsync is not covered by it). Of everything written since, a power loss
/// keeps nothing, or (torn) any prefix of it, with one 512-byte sector of that prefix possibly zeroed; a truncation not
/// yet fsynced may be undone. The shared mappings of the indexes are data of their files like any other.</para>
/// <para>Directory entries (<c>PowerLossFileSystem.Directories.cs</c>): a create, a delete or a rename is durable only
/// once its directory has been fsynced after it; until then a power loss keeps, per directory, a prefix of the entry
/// operations since that directory's last fsync, in the order they happened (none of them, in the strictest image).
/// A file's bytes belong to the file, not to its name: a file whose deletion is lost comes back with its durable bytes;
/// a file whose rename is lost is back under its old name with them.</para>
/// </remarks>
internal sealed partial class PowerLossFileSystem : FileSystem
{
    private const int Sector = 512;

    private readonly Lock _gate = new();
    // The bytes of the last write at position 0 of each file: the whole content of the files the store opens
    // exclusively (those that replace another by a rename), which no other handle can read until they are closed.
    private readonly Dictionary<string, byte[]> _writtenFromStart = new(StringComparer.Ordinal);

    /// <summary>Models the data directory <paramref name="root"/>, which must exist; what it holds now counts as durable.</summary>
    public PowerLossFileSystem(string root)
    {
        _root = Path.GetFullPath(root);
        _rootNode = new Node(_root, isDirectory: true, inode: 0);
        lock (_gate)
        {
            Observe();
            MarkAllDurable(_rootNode);
        }
    }

    /// <summary>Called at the start of each rename and directory fsync, before it has any effect (a test's chance to
    /// image the store as a power loss just then would leave it). The argument names the operation.</summary>
    public Action<string>? BeforeEntryOperation { get; set; }

    /// <summary>Called during each directory fsync, once the entries it covers are recorded (what the store does now
    /// races the fsync and is not covered by it). The argument is the directory.</summary>
    public Action<string>? WhileDirectoryFsyncs { get; set; }

    public override void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path)
    {
        Disk.Write(handle, bytes, position, path);
        if (position == 0)
        {
            lock (_gate)
                _writtenFromStart[Path.GetFullPath(path)] = bytes.ToArray();
        }
    }

    public override void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path) =>
        Disk.Write(handle, buffers, position, path);

    public override void Flush(FileStream stream, string path)
    {
        SafeFileHandle handle = stream.SafeFileHandle;
        long length = RandomAccess.GetLength(handle);
        // No real fsync: this class decides what is durable, and a real one per append would cost most of the run.
        stream.Flush(flushToDisk: false);
        string key = Path.GetFullPath(path);
        byte[] content;
        if (stream.CanRead)
        {
            content = ReadPrefix(handle, length);
        }
        else
        {
            try
            {
                using SafeFileHandle reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                content = ReadPrefix(reader, length);
            }
            catch (IOException)
            {
                // Opened exclusively (a file about to replace another by a rename): it was written whole.
                lock (_gate)
                    content = _writtenFromStart.TryGetValue(key, out byte[]? whole) && whole.Length == length
                        ? whole
                        : throw new InvalidOperationException($"{path} is locked and was not written whole from its start.");
            }
        }
        lock (_gate)
        {
            if (NodeOf(key) is { } node)
                node.DurableBytes = content;
        }
    }

    private static byte[] ReadPrefix(SafeFileHandle handle, long length)
    {
        byte[] content = new byte[length];
        int read = 0;
        while (read < content.Length && RandomAccess.Read(handle, content.AsSpan(read), read) is int n and > 0)
            read += n;
        return read == content.Length ? content : content[..read];
    }

    public override void SetLength(FileStream stream, long length, string path) => Disk.SetLength(stream, length, path);

    public override void Preallocate(FileStream stream, long length, string path) => Disk.Preallocate(stream, length, path);

    public override void Move(string from, string to)
    {
        BeforeEntryOperation?.Invoke($"rename {Path.GetFileName(from)} to {Path.GetFileName(to)}");
        // The rename and its record together: an image never sees one without the other.
        lock (_gate)
        {
            Observe();
            Disk.Move(from, to);
            RecordRename(Path.GetFullPath(from), Path.GetFullPath(to));
        }
    }

    public override void FsyncDirectory(string directory)
    {
        BeforeEntryOperation?.Invoke($"fsync of directory {Path.GetFileName(directory)}");
        // The entries as the fsync begins: one created while it runs is not covered by it.
        lock (_gate)
        {
            Observe();
            RecordDirectoryFsync(Path.GetFullPath(directory));
        }
        WhileDirectoryFsyncs?.Invoke(directory);
    }

    /// <summary>How much of the entry operations since each directory's last fsync an image keeps.</summary>
    public enum Entries
    {
        /// <summary>None: every directory as of its last fsync.</summary>
        Durable,
        /// <summary>A random prefix of them, drawn per directory.</summary>
        RandomPrefix,
        /// <summary>All of them: the directories as they are now.</summary>
        Current,
    }

    /// <summary>
    /// Writes into <paramref name="image"/> what a power loss now could leave of the data directory: each directory's
    /// entries as <paramref name="entries"/> says, each file's durable bytes and, when <paramref name="torn"/>, a random
    /// part of what was appended after them (logs and indexes still present: the small files the store replaces by
    /// renaming are whole, old or new). Fsyncs and renames that complete meanwhile wait, so the image is of one instant.
    /// </summary>
    public void WriteImage(string image, Random random, bool torn, Entries entries)
    {
        lock (_gate)
        {
            Observe();
            WriteDirectory(_rootNode, image, random, torn, entries);
        }
    }

    private void WriteDirectory(Node directory, string target, Random random, bool torn, Entries entries)
    {
        int kept = entries switch
        {
            Entries.Durable => 0,
            Entries.Current => directory.Pending.Count,
            _ => random.Next(directory.Pending.Count + 1),
        };
        foreach ((string name, Node node) in EntriesAfter(directory, kept))
        {
            string path = Path.Combine(target, name);
            if (node.IsDirectory)
            {
                Directory.CreateDirectory(path);
                WriteDirectory(node, path, random, torn, entries);
                continue;
            }
            byte[] durable = node.DurableBytes ?? [];
            bool appendOnly = Path.GetExtension(name) is ".log" or ".index" or ".timeindex";
            File.WriteAllBytes(path, torn && appendOnly && node.Path is { } live ? Survivor(durable, ReadNow(live), random) : durable);
        }
    }

    private static byte[] ReadNow(string path)
    {
        try
        {
            using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            byte[] current = new byte[source.Length];
            source.ReadExactly(current);
            return current;
        }
        catch (FileNotFoundException)
        {
            return []; // deleted since the last look: nothing beyond its durable bytes
        }
    }

    private static byte[] Survivor(byte[] durable, byte[] current, Random random)
    {
        if (current.Length <= durable.Length)
            return durable;
        int kept = random.Next(current.Length - durable.Length + 1);
        byte[] bytes = [.. durable, .. current.AsSpan(durable.Length, kept)];
        if (kept > 0 && random.Next(3) == 0)
        {
            int sector = durable.Length + random.Next(kept);
            bytes.AsSpan(sector, Math.Min(Sector, bytes.Length - sector)).Clear();
        }
        return bytes;
    }
}
