using System.IO.Enumeration;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage.Files;

/// <summary>
/// Opens the files of the store without ever reaching a file outside the data directory: a symbolic link named like a
/// segment, an index or a checkpoint is refused instead of followed (Linux and macOS open with <c>O_NOFOLLOW</c>, so the
/// check and the open are one system call), anything that is not a regular file (a FIFO, a device, a directory) is
/// refused, and so is a file opened for writing that has more than one hard link, since writing, truncating or
/// preallocating it would change the same bytes under a name outside the store. Every refusal is a
/// <see cref="StorageException"/> naming the entry; the entry and whatever it points to are left as they are.
/// </summary>
/// <remarks>
/// <para>The cost is one <c>statx</c> per file opened, and on Linux two <c>fcntl</c> for an open that is not
/// read-write (the FIFO guard); a handle already open is never checked again, and nothing is added per segment at
/// broker open, where inactive segments are not opened at all.</para>
/// <para>On Windows (and Unix systems other than Linux and macOS) the entry's reparse-point attribute is checked before
/// the open, which leaves a window between the check and the open, and hard links are not counted. Where the C library
/// lacks <c>statx</c> (glibc older than 2.28) or a sandbox refuses it, the type and link-count checks are skipped and
/// <c>O_NOFOLLOW</c> alone protects the store.</para>
/// <para>The directory part of a path is not checked here: partition and configuration directories are checked once
/// when they are opened (<see cref="RefuseLinkedDirectory"/>), and the data directory itself may be a link the user
/// chose. Thread-safety: stateless, thread-safe.</para>
/// </remarks>
internal static partial class StoreFile
{
    private const FileShare SharedAccess = FileShare.ReadWrite | FileShare.Delete;

    /// <summary>Opens <paramref name="path"/> as a <see cref="FileStream"/> without following a link (see the type).</summary>
    /// <exception cref="StorageException">The entry is a link, not a regular file, or a hard-linked file opened for writing.</exception>
    /// <exception cref="IOException">The open failed as <see cref="FileStream"/>'s would (missing file, I/O error).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share = SharedAccess)
    {
        SafeFileHandle handle = OpenHandle(path, mode, access, share);
        try
        {
            return new FileStream(handle, access, bufferSize: 0, isAsync: false);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="path"/> as a handle without following a link (see the type). <see cref="FileMode.Create"/>
    /// and <see cref="FileMode.Truncate"/> truncate only after the checks, so a refused file is never cut.</summary>
    /// <exception cref="StorageException">The entry is a link, not a regular file, or a hard-linked file opened for writing.</exception>
    /// <exception cref="IOException">The open failed (missing file, I/O error, a lock held elsewhere for <see cref="FileShare.None"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static SafeFileHandle OpenHandle(string path, FileMode mode, FileAccess access, FileShare share = SharedAccess)
    {
        if (!Native.Supported)
        {
            RefuseLink(path);
            return File.OpenHandle(path, mode, access, share);
        }
        SafeFileHandle handle = Native.Open(path, mode, access);
        try
        {
            if (Native.Inspect(handle) is { } status)
            {
                if (!status.IsRegularFile)
                    throw NotRegularFile(path, "not a regular file");
                if (access != FileAccess.Read && status.Links > 1)
                    throw HardLinked(path, status.Links);
            }
            Native.ClearNonBlocking(handle, access);
            if (share == FileShare.None)
                Native.LockExclusive(handle, path);
            if (mode is FileMode.Create or FileMode.Truncate)
                RandomAccess.SetLength(handle, 0);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The lines of a small text file of the store (a checkpoint, a configuration), or null when it does not exist.</summary>
    /// <exception cref="StorageException">The entry is a link or not a regular file.</exception>
    /// <exception cref="IOException">It could not be read.</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied.</exception>
    public static string[]? ReadAllLinesIfExists(string path)
    {
        FileStream stream;
        try
        {
            stream = Open(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return [.. lines];
    }

    /// <summary>Whether <paramref name="path"/> exists as a regular file (one <c>lstat</c>; a marker file's presence).</summary>
    /// <exception cref="StorageException">The entry exists but is a link or a directory.</exception>
    public static bool Exists(string path)
    {
        var info = new FileInfo(path);
        FileAttributes attributes = info.Attributes;
        if ((int)attributes == -1)
            return false;
        if ((attributes & FileAttributes.ReparsePoint) != 0)
            throw NotRegularFile(path, "a symbolic link");
        if ((attributes & FileAttributes.Directory) != 0)
            throw NotRegularFile(path, "a directory");
        return true;
    }

    /// <summary>Refuses a directory of the store (a partition's, the topic configurations') that is a link: everything
    /// in it would be a file outside the data directory.</summary>
    /// <exception cref="StorageException">The entry is a symbolic link or another reparse point.</exception>
    public static void RefuseLinkedDirectory(string path)
    {
        if (IsLink(path))
            throw NotRegularFile(path, "a symbolic link to a directory");
    }

    /// <summary>Refuses an entry that is a link; a missing entry passes.</summary>
    /// <exception cref="StorageException">The entry is a symbolic link or another reparse point.</exception>
    public static void RefuseLink(string path)
    {
        if (IsLink(path))
            throw NotRegularFile(path, "a symbolic link");
    }

    /// <summary>Whether the entry at <paramref name="path"/> itself is a symbolic link or another reparse point (one
    /// <c>lstat</c>; the link is not followed). False when nothing is there.</summary>
    public static bool IsLink(string path)
    {
        FileAttributes attributes = new FileInfo(path).Attributes;
        return (int)attributes != -1 && (attributes & FileAttributes.ReparsePoint) != 0;
    }

    /// <summary>Deletes a file of the store; a link is refused rather than removed (removing it is the operator's call).</summary>
    /// <returns>True when a file was deleted, false when there was none.</returns>
    /// <exception cref="StorageException">The entry is a symbolic link or another reparse point.</exception>
    /// <exception cref="IOException">The delete failed.</exception>
    public static bool Delete(string path)
    {
        FileAttributes attributes = new FileInfo(path).Attributes;
        if ((int)attributes == -1)
            return false;
        if ((attributes & FileAttributes.ReparsePoint) != 0)
            throw NotRegularFile(path, "a symbolic link");
        File.Delete(path);
        return true;
    }

    /// <summary>
    /// Deletes a directory of the store (a deleted partition's) and its files without following or removing a link:
    /// a directory that is itself a link is left alone, and one that holds links keeps them (and so stays) after its
    /// other files are deleted. Returns the links left in place, empty when the directory is gone.
    /// </summary>
    /// <exception cref="IOException">A delete failed.</exception>
    public static List<string> DeleteDirectory(string directory)
    {
        var links = new List<string>();
        if (IsLink(directory))
        {
            links.Add(directory);
            return links;
        }
        var names = ListFiles(directory, links);
        if (links.Count == 0)
        {
            Directory.Delete(directory, recursive: true);
            return links;
        }
        foreach (string name in names)
            File.Delete(Path.Combine(directory, name));
        for (int i = 0; i < links.Count; i++)
            links[i] = Path.Combine(directory, links[i]);
        return links;
    }

    /// <summary>
    /// The names of the entries of <paramref name="directory"/> that are neither directories nor links, and in
    /// <paramref name="links"/> the names of the links (to anything). The listing's own file types tell links apart,
    /// so no entry is stat'ed: a listing that skips links and a count of one that keeps them cost two passes over the
    /// directory, and only when the counts differ does a third pass name the links.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be listed.</exception>
    public static HashSet<string> ListFiles(string directory, List<string> links)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var files = new FileSystemEnumerable<string>(directory, static (ref FileSystemEntry e) => e.FileName.ToString(), WithoutLinks)
        {
            ShouldIncludePredicate = static (ref FileSystemEntry e) => !e.IsDirectory,
        };
        foreach (string name in files)
            names.Add(name);
        int entries = 0;
        var counted = new FileSystemEnumerable<bool>(directory, static (ref FileSystemEntry _) => false, WithLinks)
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) =>
            {
                if (IsFileOrLink(ref e))
                    entries++;
                return false;
            },
        };
        foreach (bool _ in counted)
        {
        }
        if (entries != names.Count)
        {
            var all = new FileSystemEnumerable<string>(directory, static (ref FileSystemEntry e) => e.FileName.ToString(), WithLinks)
            {
                ShouldIncludePredicate = static (ref FileSystemEntry e) => IsFileOrLink(ref e),
            };
            foreach (string name in all)
            {
                if (!names.Contains(name))
                    links.Add(name);
            }
        }
        return names;
    }

    // A link to a directory lists as a directory; subdirectories are rare in a partition, so their lstat costs nothing.
    private static bool IsFileOrLink(ref FileSystemEntry e) =>
        !e.IsDirectory || (e.Attributes & FileAttributes.ReparsePoint) != 0;

    private static readonly EnumerationOptions WithoutLinks = new()
    {
        AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false, RecurseSubdirectories = false,
    };

    private static readonly EnumerationOptions WithLinks = new()
    {
        AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false,
    };

    /// <summary>The error for an entry the store refuses to follow or use.</summary>
    public static StorageException NotRegularFile(string path, string what) =>
        new($"'{Path.GetFileName(path)}' is {what}: LogStore never follows a link or uses a special file in its data " +
            "directory, and has neither opened nor changed what it names. Replace the entry with the regular file (or " +
            "directory) it stands for, or move it out of the data directory", path);

    private static StorageException HardLinked(string path, long links) =>
        new($"'{Path.GetFileName(path)}' has {links} hard links: writing it would also change the file under its other " +
            "name, outside the store, so LogStore has not opened it for writing. Replace it with a copy of its own (cp, not ln)", path);
}
