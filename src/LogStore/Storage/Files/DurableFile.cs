using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage.Files;

/// <summary>
/// Small-file durability helpers: atomic replace (write a temporary file, fsync it, rename it over the old one,
/// fsync the directory) and directory fsync, without which a new file's name can vanish in a power loss even
/// though its bytes were fsynced.
/// </summary>
internal static partial class DurableFile
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux x86-64/arm64 value

    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/> so a crash leaves either the old or
    /// the new file, never a torn one.</summary>
    public static void WriteAtomically(string path, string contents)
    {
        // A short unique name: the target's own name may already be at the file-name length limit (a 249-character
        // topic), and two writers must never share a temporary file. Loaders delete "*.tmp" leftovers.
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Guid.NewGuid().ToString("N") + LogFileNames.TempSuffix);
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096))
            {
                stream.Write(Encoding.UTF8.GetBytes(contents));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new StorageException($"Cannot write '{Path.GetFileName(path)}': {e.Message}", path, e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next load removes "*.tmp" leftovers.
        }
    }

    /// <summary>fsyncs a directory so that files created, renamed or deleted in it stay so after a power loss.
    /// A no-op where the OS has no such call (Windows makes metadata durable by itself).</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
            return;
        int flags = OperatingSystem.IsLinux() ? ORdOnly | ODirectory : ORdOnly;
        int fd = Open(directory, flags);
        if (fd < 0)
            throw new StorageException($"Cannot open directory for fsync (errno {Marshal.GetLastPInvokeError()}).", directory);
        try
        {
            if (Fsync(fd) != 0)
                throw new StorageException($"Directory fsync failed (errno {Marshal.GetLastPInvokeError()}).", directory);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// Reserves disk blocks for the first <paramref name="length"/> bytes of a file. A preallocated index is written
    /// through a memory mapping: were its blocks sparse, a full disk would surface as SIGBUS on a store into the
    /// mapping and kill the process, instead of as an exception here, where the caller can still refuse the roll.
    /// </summary>
    public static void Reserve(SafeFileHandle handle, long length, string path)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
            return;
        int error = PosixFallocate(handle, 0, length);
        // EOPNOTSUPP/EINVAL: a file system without fallocate (some tmpfs or FUSE); the sparse file stays as before.
        if (error is not 0 and not 95 and not 22)
            throw new StorageException(error == 28
                ? $"The disk is full: cannot reserve {length} bytes for an index."
                : $"Cannot reserve {length} bytes (errno {error}).", path);
    }

    /// <summary>
    /// Asks the kernel to start writing a range of a file back to disk now, without waiting (Linux
    /// <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>). Durability is unchanged — only fsync gives it — but the disk
    /// works while appends continue instead of idling until a flush finds a gigabyte of dirty pages.
    /// Best effort: any failure is ignored, the next fsync reports real I/O errors.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        if (OperatingSystem.IsLinux())
            _ = SyncFileRange(handle, offset, length, SyncFileRangeWrite);
    }

    private const uint SyncFileRangeWrite = 2;

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(SafeFileHandle fd, long offset, long length);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
