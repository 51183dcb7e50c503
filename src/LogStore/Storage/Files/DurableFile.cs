using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage.Files;

/// <summary>
/// Small-file durability helpers: atomic replace (write a temporary file, fsync it, rename it over the old one,
/// fsync the directory) and directory fsync, without which a new file's name can vanish in a power loss even
/// though its bytes were fsynced. The steps that can fail go through a <see cref="FileSystem"/>, so tests can fail them.
/// </summary>
internal static partial class DurableFile
{
    private const int ORdOnly = 0;

    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/> so a crash leaves either the old or
    /// the new file, never a torn one.</summary>
    /// <exception cref="StorageException">A step failed (the disk is full, an I/O error); the old file is unchanged.</exception>
    public static void WriteAtomically(FileSystem files, string path, string contents) =>
        WriteAtomically(files, path, Encoding.UTF8.GetBytes(contents), fsyncFile: true, fsyncDirectory: true);

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="contents"/> by a rename, so a process crash leaves either the
    /// old or the new file. Against a power loss, the file's bytes need <paramref name="fsyncFile"/> (or a later fsync of
    /// the file) and its name <paramref name="fsyncDirectory"/> (or the caller's next directory fsync): leaving them to
    /// later is for a file that is checked when read and only saves work (a producer-state snapshot), where a torn one
    /// is detected and ignored.
    /// </summary>
    /// <exception cref="StorageException">A step failed (the disk is full, an I/O error); the old file is unchanged.</exception>
    public static void WriteAtomically(FileSystem files, string path, ReadOnlySpan<byte> contents, bool fsyncFile, bool fsyncDirectory)
    {
        // A short unique name: the target's own name may already be at the file-name length limit (a 249-character
        // topic), and two writers must never share a temporary file. Loaders delete "*.tmp" leftovers.
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temp = Path.Combine(directory, Guid.NewGuid().ToString("N") + LogFileNames.TempSuffix);
        try
        {
            // Renaming over a link would remove it, which is the operator's decision (the link's target is never
            // touched); a temporary name nobody can guess is still created with O_EXCL and never through a link.
            StoreFile.RefuseLink(path);
            using (FileStream stream = StoreFile.Open(temp, FileMode.CreateNew, FileAccess.Write))
            {
                files.Write(stream.SafeFileHandle, contents, 0, temp);
                if (fsyncFile)
                    files.Flush(stream, temp);
            }
            files.Move(temp, path);
            if (fsyncDirectory)
                files.FsyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new StorageException($"Cannot write '{Path.GetFileName(path)}': {e.Message}", path, e);
        }
    }

    /// <summary>fsyncs the regular file <paramref name="path"/> through <paramref name="files"/> (a file written earlier
    /// without its fsync).</summary>
    /// <exception cref="StorageException">The file could not be opened (a link, gone) or the fsync failed.</exception>
    public static void Fsync(FileSystem files, string path)
    {
        try
        {
            // Opened for writing: .NET fsyncs only a stream it may write, and the store's open refuses a hard-linked file.
            using FileStream stream = StoreFile.Open(path, FileMode.Open, FileAccess.Write);
            files.Flush(stream, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot fsync '{Path.GetFileName(path)}': {e.Message}", path, e);
        }
    }

    /// <summary>fsyncs <paramref name="directory"/> through <paramref name="files"/>.</summary>
    /// <exception cref="StorageException">The fsync failed.</exception>
    public static void FsyncDirectory(FileSystem files, string directory)
    {
        try
        {
            files.FsyncDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Directory fsync failed: {e.Message}", directory, e);
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

    /// <summary>The system call behind <see cref="DiskFileSystem.FsyncDirectory"/>. A no-op where the OS has no such
    /// call (Windows makes metadata durable by itself).</summary>
    /// <exception cref="IOException">open or fsync failed; the HResult is the errno.</exception>
    internal static void FsyncDirectoryNow(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
            return;
        int flags = OperatingSystem.IsLinux() ? ORdOnly | StoreFile.Native.ODirectory : ORdOnly;
        int fd = Open(directory, flags);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw DiskErrors.Exception(errno, $"Cannot open directory for fsync (errno {errno}).");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw DiskErrors.Exception(errno, $"Directory fsync failed (errno {errno}).");
            }
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
    /// <exception cref="IOException">posix_fallocate failed (ENOSPC: the disk is full); the HResult is the errno.</exception>
    internal static void Reserve(SafeFileHandle handle, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
            return;
        int error = PosixFallocate(handle, 0, length);
        // EOPNOTSUPP/EINVAL: a file system without fallocate (some FUSE); the sparse file stays as before.
        if (error is not 0 and not 95 and not 22)
            throw DiskErrors.Exception(error, error == DiskErrors.Enospc
                ? $"No space left on device: cannot reserve {length} bytes."
                : $"Cannot reserve {length} bytes (errno {error}).");
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
