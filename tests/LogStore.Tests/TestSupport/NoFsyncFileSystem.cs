using LogStore.Storage.Files;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.TestSupport;

/// <summary>
/// The disk without fsync: for stores whose durability a test never checks (the copies a reliability check opens and
/// throws away), where a file or directory fsync per append and per recovered partition would cost most of the run on a
/// busy disk. Everything else is <see cref="FileSystem.Disk"/>'s.
/// </summary>
internal sealed class NoFsyncFileSystem : FileSystem
{
    public static NoFsyncFileSystem Instance { get; } = new();

    public override void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path) => Disk.Write(handle, bytes, position, path);

    public override void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path) =>
        Disk.Write(handle, buffers, position, path);

    public override void Flush(FileStream stream, string path) => stream.Flush(flushToDisk: false);

    public override void SetLength(FileStream stream, long length, string path) => Disk.SetLength(stream, length, path);

    public override void Preallocate(FileStream stream, long length, string path) => Disk.Preallocate(stream, length, path);

    public override void Move(string from, string to) => Disk.Move(from, to);

    public override void FsyncDirectory(string directory)
    {
    }
}
