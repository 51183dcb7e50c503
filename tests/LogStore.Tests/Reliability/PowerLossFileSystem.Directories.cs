using System.Runtime.InteropServices;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The directory-entry half of <see cref="PowerLossFileSystem"/>: which names each directory holds durably, and the
/// entry operations since its last fsync.
/// </summary>
/// <remarks>
/// <para>The store creates and deletes files without the seam (only renames and directory fsyncs pass through it), so
/// creations and deletions are found by looking: before each rename, directory fsync, image, and fsync of a file not
/// seen yet, the whole tree is listed and compared with the last listing. A name that appeared is a create, one that
/// went a delete, a name whose inode changed a delete and a create. Renames are recorded as they happen, each one
/// atomic (the new name and the removal of the old one together), as ext4 and XFS journal them. Creations and deletions
/// found in the same look are put in the order deletions, then creations, each by name: the real order between two
/// looks is unknown, and any order is one a power loss could keep a prefix of.</para>
/// <para>Why a prefix per directory: ext4 (data=ordered) and XFS write every metadata change to one sequential journal,
/// so after a power loss the entry operations that survive are a prefix of those issued — ALICE (Pillai et al.,
/// OSDI 2014) found both file systems keep directory operations atomic and in order. The model is stricter than that
/// journal in one way: each directory keeps its own prefix, independent of the others (as a file system that orders
/// only within a directory would), so the store may rely on nothing across directories but its own fsyncs.</para>
/// <para>A file deleted whose deletion is lost comes back with its durable bytes: the inode's blocks are freed in the
/// same transaction as the name, so it is whole as of its last fsync. A directory renamed without the seam (a topic's
/// partition directory being deleted) is seen as a delete and a create: the moved directory is then new and empty.</para>
/// </remarks>
internal sealed partial class PowerLossFileSystem
{
    private readonly string _root;
    private readonly Node _rootNode;
    private readonly Dictionary<string, Node> _live = new(StringComparer.Ordinal);  // every path under the root, as last seen

    /// <summary>A file or directory: its bytes or entries as of its last fsync, and where it is now (null: deleted).</summary>
    private sealed class Node(string path, bool isDirectory, ulong inode)
    {
        public string? Path { get; set; } = path;

        public bool IsDirectory { get; } = isDirectory;

        public ulong Inode { get; } = inode;

        public byte[]? DurableBytes { get; set; }

        /// <summary>A directory's entries as of its last fsync (empty when never fsynced).</summary>
        public Dictionary<string, Node> DurableEntries { get; set; } = new(StringComparer.Ordinal);

        /// <summary>A directory's entry operations since its last fsync, oldest first.</summary>
        public List<EntryOperation> Pending { get; } = [];
    }

    /// <summary>Removes <paramref name="Removed"/> and adds <paramref name="Added"/> for <paramref name="Node"/>, in one
    /// step (a rename), or either alone (a delete, a create).</summary>
    private readonly record struct EntryOperation(string? Removed, string? Added, Node? Node);

    /// <summary>The node at <paramref name="path"/> now, looking again when it is new since the last look.</summary>
    private Node? NodeOf(string path)
    {
        if (_live.TryGetValue(path, out Node? node) && Inode(path) == node.Inode)
            return node;
        Observe();
        return _live.GetValueOrDefault(path);
    }

    /// <summary>Lists the tree and records the creations and deletions since the last look.</summary>
    private void Observe()
    {
        var seen = new Dictionary<string, (bool IsDirectory, ulong Inode)>(StringComparer.Ordinal);
        List(_root, seen);
        var gone = new List<string>();
        foreach ((string path, Node node) in _live)
        {
            if (!seen.TryGetValue(path, out var now) || now.Inode != node.Inode || now.IsDirectory != node.IsDirectory)
                gone.Add(path);
        }
        gone.Sort(StringComparer.Ordinal);
        gone.Reverse();   // a directory's entries before the directory
        foreach (string path in gone)
        {
            Node node = _live[path];
            _live.Remove(path);
            node.Path = null;
            ParentOf(path).Pending.Add(new EntryOperation(Path.GetFileName(path), null, null));
        }
        var created = new List<string>();
        foreach (string path in seen.Keys)
        {
            if (!_live.ContainsKey(path))
                created.Add(path);
        }
        created.Sort(StringComparer.Ordinal);   // a directory before its entries
        foreach (string path in created)
        {
            var node = new Node(path, seen[path].IsDirectory, seen[path].Inode);
            _live[path] = node;
            ParentOf(path).Pending.Add(new EntryOperation(null, Path.GetFileName(path), node));
        }
    }

    private static void List(string directory, Dictionary<string, (bool, ulong)> seen)
    {
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return; // deleted while listed
        }
        foreach (FileSystemInfo entry in entries)
        {
            ulong inode = Inode(entry.FullName);
            if (inode == 0)
                continue; // deleted while listed
            bool isDirectory = entry is DirectoryInfo && entry.LinkTarget is null;
            seen[entry.FullName] = (isDirectory, inode);
            if (isDirectory)
                List(entry.FullName, seen);
        }
    }

    private Node ParentOf(string path)
    {
        string parent = Path.GetDirectoryName(path)!;
        return parent == _root ? _rootNode : _live.TryGetValue(parent, out Node? node) ? node
            : throw new InvalidOperationException($"{path}: its directory was never seen.");
    }

    private void RecordRename(string from, string to)
    {
        if (!_live.Remove(from, out Node? node))
            throw new InvalidOperationException($"Renamed {from}, which was never seen.");
        if (node.IsDirectory)
            throw new InvalidOperationException($"Renamed directory {from}: the model renames files only.");
        if (_live.Remove(to, out Node? replaced))
            replaced.Path = null;
        node.Path = to;
        _live[to] = node;
        Node fromParent = ParentOf(from), toParent = ParentOf(to);
        if (ReferenceEquals(fromParent, toParent))
        {
            fromParent.Pending.Add(new EntryOperation(Path.GetFileName(from), Path.GetFileName(to), node));
        }
        else
        {
            fromParent.Pending.Add(new EntryOperation(Path.GetFileName(from), null, null));
            toParent.Pending.Add(new EntryOperation(null, Path.GetFileName(to), node));
        }
    }

    private void RecordDirectoryFsync(string directory)
    {
        Node node = directory == _root ? _rootNode : _live.TryGetValue(directory, out Node? found) ? found
            : throw new InvalidOperationException($"fsync of directory {directory}, which was never seen.");
        node.DurableEntries = EntriesAfter(node, node.Pending.Count);
        node.Pending.Clear();
    }

    /// <summary>The directory's durable entries with the first <paramref name="kept"/> pending operations applied.</summary>
    private static Dictionary<string, Node> EntriesAfter(Node directory, int kept)
    {
        var entries = new Dictionary<string, Node>(directory.DurableEntries, StringComparer.Ordinal);
        for (int i = 0; i < kept; i++)
        {
            EntryOperation operation = directory.Pending[i];
            if (operation.Removed is { } removed)
                entries.Remove(removed);
            if (operation.Added is { } added)
                entries[added] = operation.Node!;
        }
        return entries;
    }

    /// <summary>Everything under <paramref name="directory"/> as it is now, entries and bytes, is durable (a store that
    /// existed before the model: after a power loss and restart, what is on disk is what the disk holds).</summary>
    private static void MarkAllDurable(Node directory)
    {
        directory.DurableEntries = EntriesAfter(directory, directory.Pending.Count);
        directory.Pending.Clear();
        foreach (Node child in directory.DurableEntries.Values)
        {
            if (child.IsDirectory)
                MarkAllDurable(child);
            else
                child.DurableBytes = File.ReadAllBytes(child.Path!);
        }
    }

    /// <summary>The inode number of <paramref name="path"/> (not following a link), 0 when it does not exist.</summary>
    private static ulong Inode(string path)
    {
        byte[] stat = new byte[256];   // struct stat: st_dev, then st_ino, on Linux x86-64 and arm64
        return LStat(path, stat) == 0 ? BitConverter.ToUInt64(stat, 8) : 0;
    }

    [DllImport("libc", EntryPoint = "lstat", SetLastError = true)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);
}
