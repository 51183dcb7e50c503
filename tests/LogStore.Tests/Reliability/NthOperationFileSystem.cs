using LogStore.Storage.Files;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.Reliability;

/// <summary>
/// A <see cref="FileSystem"/> over the real disk that counts every operation of the seam and fails the one numbered
/// <see cref="FailAt"/> with a chosen errno (and, when <see cref="Persistent"/>, every later one too, as a disk that
/// stays full or a process that stays out of file descriptors), so a test can walk a failure through every step of an
/// operation. A failing write writes nothing. Thread-safe.
/// </summary>
internal sealed class NthOperationFileSystem(int errno, bool persistent) : FileSystem
{
    private int _count;
    private int _failAt = int.MaxValue;

    /// <summary>Operations attempted so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The number of the operation that fails (counted from the first ever); <see cref="int.MaxValue"/> for none.</summary>
    public int FailAt
    {
        get => Volatile.Read(ref _failAt);
        set => Volatile.Write(ref _failAt, value);
    }

    public bool Persistent { get; } = persistent;

    /// <summary>The operations that failed, with the path each named.</summary>
    public List<string> Failed { get; } = [];

    /// <summary>No operation fails any more.</summary>
    public void Heal() => FailAt = int.MaxValue;

    public override void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path)
    {
        Step(nameof(Write), path);
        Disk.Write(handle, bytes, position, path);
    }

    public override void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path)
    {
        Step(nameof(Write), path);
        Disk.Write(handle, buffers, position, path);
    }

    public override void Flush(FileStream stream, string path)
    {
        Step(nameof(Flush), path);
        Disk.Flush(stream, path);
    }

    public override void SetLength(FileStream stream, long length, string path)
    {
        Step(nameof(SetLength), path);
        Disk.SetLength(stream, length, path);
    }

    public override void Preallocate(FileStream stream, long length, string path)
    {
        Step(nameof(Preallocate), path);
        Disk.Preallocate(stream, length, path);
    }

    public override void Move(string from, string to)
    {
        Step(nameof(Move), from);
        Disk.Move(from, to);
    }

    public override void FsyncDirectory(string directory)
    {
        Step(nameof(FsyncDirectory), directory);
        Disk.FsyncDirectory(directory);
    }

    private void Step(string operation, string path)
    {
        int n = Interlocked.Increment(ref _count);
        int failAt = FailAt;
        if (n == failAt || (Persistent && n > failAt))
        {
            lock (Failed)
                Failed.Add($"{operation} {path}");
            throw DiskErrors.Exception(errno, $"Injected errno {errno} at file operation {n} ({operation} of '{path}').");
        }
    }
}
