using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage.Files;

/// <summary>
/// The seam between the storage engine and the file system, for the operations that can fail when the disk is full or
/// failing: writing segment bytes, fsync, preallocation, truncation, renames and directory fsync. <see cref="Disk"/>
/// does them directly; tests pass a fault-injecting one (tests/LogStore.Tests/Reliability, through an internal
/// <c>BrokerOptions.FileSystem</c>) to make them fail with ENOSPC or EIO, or hang.
/// </summary>
/// <remarks>
/// <para>Every member throws <see cref="IOException"/> (or <see cref="UnauthorizedAccessException"/>) as the OS call
/// would; callers wrap it in a <see cref="StorageException"/> naming the file, in one place each. Reads, opens and deletes
/// do not go through the seam: they neither allocate space nor lose acknowledged data when they fail.</para>
/// <para>Calls are per batch, per fsync or per file, never per record, so the virtual call costs nothing measurable next
/// to the system call it wraps.</para>
/// <para>Thread-safety: implementations are thread-safe. Format and crash behaviour: none of its own.</para>
/// </remarks>
internal abstract class FileSystem
{
    /// <summary>The real file system.</summary>
    public static FileSystem Disk { get; } = new DiskFileSystem();

    /// <summary>Writes all of <paramref name="bytes"/> at <paramref name="position"/> (pwrite). On failure part of the
    /// bytes may have been written, as with a real disk that fills up half-way.</summary>
    public abstract void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path);

    /// <summary>Writes all of <paramref name="buffers"/>, one after the other, from <paramref name="position"/> with one
    /// gathered write (pwritev). On failure a prefix of the bytes may have been written.</summary>
    public abstract void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path);

    /// <summary>fsync: the file's written bytes and its length reach the disk.</summary>
    public abstract void Flush(FileStream stream, string path);

    /// <summary>Sets the file's length without reserving blocks (truncation, or a sparse extension).</summary>
    public abstract void SetLength(FileStream stream, long length, string path);

    /// <summary>Sets the file's length to <paramref name="length"/> and reserves its blocks (posix_fallocate), so that
    /// stores into a memory mapping of it can never meet a full disk. On failure the file keeps its previous length.</summary>
    public abstract void Preallocate(FileStream stream, long length, string path);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, replacing it (rename(2)).</summary>
    public abstract void Move(string from, string to);

    /// <summary>fsyncs a directory, so that files created, renamed or deleted in it stay so after a power loss.</summary>
    public abstract void FsyncDirectory(string directory);
}

/// <summary>The <see cref="FileSystem"/> of the real disk: each member is the system call it names.</summary>
internal sealed class DiskFileSystem : FileSystem
{
    public override void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path) =>
        RandomAccess.Write(handle, bytes, position);

    public override void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path) =>
        RandomAccess.Write(handle, buffers, position);

    public override void Flush(FileStream stream, string path) => stream.Flush(flushToDisk: true);

    public override void SetLength(FileStream stream, long length, string path) => stream.SetLength(length);

    public override void Preallocate(FileStream stream, long length, string path)
    {
        long previous = stream.Length;
        stream.SetLength(length);
        try
        {
            DurableFile.Reserve(stream.SafeFileHandle, length);
        }
        catch (IOException)
        {
            // A sparse file left at the new length would be a SIGBUS waiting in the index mapping.
            stream.SetLength(previous);
            throw;
        }
    }

    public override void Move(string from, string to) => File.Move(from, to, overwrite: true);

    public override void FsyncDirectory(string directory) => DurableFile.FsyncDirectoryNow(directory);
}
