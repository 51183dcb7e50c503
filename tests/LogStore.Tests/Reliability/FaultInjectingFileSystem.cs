using LogStore.Storage.Files;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.Reliability;

/// <summary>The operations of a <see cref="FileSystem"/>, as flags so one rule can cover several.</summary>
[Flags]
internal enum FileOperation
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary><see cref="FileSystem.Write(SafeFileHandle, ReadOnlySpan{byte}, long, string)"/> (both overloads).</summary>
    Write = 1,
    /// <summary><see cref="FileSystem.Flush"/> (fsync of a file).</summary>
    Flush = 2,
    /// <summary><see cref="FileSystem.SetLength"/>.</summary>
    SetLength = 4,
    /// <summary><see cref="FileSystem.Preallocate"/> (fallocate).</summary>
    Preallocate = 8,
    /// <summary><see cref="FileSystem.Move"/> (rename).</summary>
    Move = 16,
    /// <summary><see cref="FileSystem.FsyncDirectory"/>.</summary>
    FsyncDirectory = 32,
    /// <summary>Every operation.</summary>
    All = Write | Flush | SetLength | Preallocate | Move | FsyncDirectory,
}

/// <summary>
/// A <see cref="FileSystem"/> over the real disk that tests can break: a disk with a fixed amount of free space
/// (writes past it are cut short and fail with ENOSPC, as a real disk filling up half-way through a write does),
/// operations that fail with a chosen errno, and fsyncs that hang until released (the FasterLog commit that never
/// returns, microsoft/FASTER#586).
/// </summary>
/// <remarks>
/// Space is only consumed, never given back by truncation or deletion: a test frees it explicitly with
/// <see cref="FreeSpace"/>, as an operator would by deleting other files. Thread-safe.
/// </remarks>
internal sealed class FaultInjectingFileSystem : FileSystem
{
    private readonly Lock _lock = new();
    private readonly List<Rule> _rules = [];
    private readonly int[] _counts = new int[6];
    private readonly SemaphoreSlim _blockedFsyncs = new(0);
    private long _spaceLeft = long.MaxValue;
    private ManualResetEventSlim? _fsyncGate;

    private sealed record Rule(FileOperation Operations, int Errno, string? PathContains)
    {
        public int Remaining { get; set; }
    }

    /// <summary>Bytes that writes and preallocations may still allocate; <see cref="long.MaxValue"/> for no limit.</summary>
    public long SpaceLeft
    {
        get => Interlocked.Read(ref _spaceLeft);
        set => Interlocked.Exchange(ref _spaceLeft, value);
    }

    /// <summary>Called on the calling thread just before a rename or a directory fsync (with the operation and the path it
    /// names: the source of a rename), so that a test can image the store as a crash before that step would leave it.</summary>
    public Action<FileOperation, string>? BeforeEntryOperation { get; set; }

    /// <summary>Called on the calling thread once a rename or a directory fsync is done: the state a crash right after it
    /// would leave.</summary>
    public Action<FileOperation, string>? AfterEntryOperation { get; set; }

    /// <summary>Makes the disk full: every write or preallocation of at least one byte fails with ENOSPC.</summary>
    public void FillDisk() => SpaceLeft = 0;

    /// <summary>Frees the disk: no limit on space any more.</summary>
    public void FreeSpace() => SpaceLeft = long.MaxValue;

    /// <summary>Makes the next <paramref name="times"/> operations of the <paramref name="operations"/> kinds (on paths
    /// containing <paramref name="pathContains"/>, when given) fail with <paramref name="errno"/>.</summary>
    public void Fail(FileOperation operations, int errno, int times = int.MaxValue, string? pathContains = null)
    {
        lock (_lock)
            _rules.Add(new Rule(operations, errno, pathContains) { Remaining = times });
    }

    /// <summary>Removes every failure rule (space and blocked fsyncs are separate).</summary>
    public void Heal()
    {
        lock (_lock)
            _rules.Clear();
    }

    /// <summary>From now on every file fsync waits until <see cref="ReleaseFsyncs"/>.</summary>
    public void BlockFsyncs()
    {
        lock (_lock)
            _fsyncGate ??= new ManualResetEventSlim(false);
    }

    /// <summary>Lets blocked fsyncs (and later ones) go on.</summary>
    public void ReleaseFsyncs()
    {
        ManualResetEventSlim? gate;
        lock (_lock)
        {
            gate = _fsyncGate;
            _fsyncGate = null;
        }
        gate?.Set();
    }

    /// <summary>Waits until an fsync is blocked by <see cref="BlockFsyncs"/>; false on timeout.</summary>
    public bool WaitForBlockedFsync(TimeSpan timeout) => _blockedFsyncs.Wait(timeout);

    /// <summary>How many operations of <paramref name="operation"/> (a single flag) were attempted.</summary>
    public int Count(FileOperation operation) => Volatile.Read(ref _counts[System.Numerics.BitOperations.Log2((uint)operation)]);

    public override void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path)
    {
        Check(FileOperation.Write, path);
        int allowed = (int)Math.Min(bytes.Length, Take(bytes.Length));
        if (allowed > 0)
            Disk.Write(handle, bytes[..allowed], position, path);
        if (allowed < bytes.Length)
            throw DiskFull(path);
    }

    public override void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path)
    {
        // One buffer at a time, so that a disk filling up half-way leaves a written prefix, as the gathered write would.
        foreach (ReadOnlyMemory<byte> buffer in buffers)
        {
            Write(handle, buffer.Span, position, path);
            position += buffer.Length;
        }
    }

    public override void Flush(FileStream stream, string path)
    {
        Check(FileOperation.Flush, path);
        ManualResetEventSlim? gate;
        lock (_lock)
            gate = _fsyncGate;
        if (gate is not null)
        {
            _blockedFsyncs.Release();
            gate.Wait();
        }
        Disk.Flush(stream, path);
    }

    public override void SetLength(FileStream stream, long length, string path)
    {
        Check(FileOperation.SetLength, path);
        Disk.SetLength(stream, length, path);
    }

    public override void Preallocate(FileStream stream, long length, string path)
    {
        Check(FileOperation.Preallocate, path);
        long growth = length - stream.Length;
        if (growth > 0 && Take(growth) is var granted && granted < growth)
        {
            // A refused preallocation is undone (DiskFileSystem cuts the file back), so it gives back what it took.
            if (SpaceLeft != long.MaxValue)
                Interlocked.Add(ref _spaceLeft, granted);
            throw DiskFull(path);
        }
        Disk.Preallocate(stream, length, path);
    }

    public override void Move(string from, string to)
    {
        Check(FileOperation.Move, from);
        BeforeEntryOperation?.Invoke(FileOperation.Move, from);
        Disk.Move(from, to);
        AfterEntryOperation?.Invoke(FileOperation.Move, from);
    }

    public override void FsyncDirectory(string directory)
    {
        Check(FileOperation.FsyncDirectory, directory);
        BeforeEntryOperation?.Invoke(FileOperation.FsyncDirectory, directory);
        Disk.FsyncDirectory(directory);
        AfterEntryOperation?.Invoke(FileOperation.FsyncDirectory, directory);
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes of space; returns how many were granted.</summary>
    private long Take(long wanted)
    {
        while (true)
        {
            long left = Interlocked.Read(ref _spaceLeft);
            if (left == long.MaxValue)
                return wanted;
            long granted = Math.Min(left, wanted);
            if (Interlocked.CompareExchange(ref _spaceLeft, left - granted, left) == left)
                return granted;
        }
    }

    private void Check(FileOperation operation, string path)
    {
        Interlocked.Increment(ref _counts[System.Numerics.BitOperations.Log2((uint)operation)]);
        int errno = 0;
        lock (_lock)
        {
            foreach (Rule rule in _rules)
            {
                if ((rule.Operations & operation) == 0 || rule.Remaining <= 0
                    || (rule.PathContains is not null && !path.Contains(rule.PathContains, StringComparison.Ordinal)))
                {
                    continue;
                }
                rule.Remaining--;
                errno = rule.Errno;
                break;
            }
        }
        if (errno == DiskErrors.Enospc)
            throw DiskFull(path);
        if (errno != 0)
            throw DiskErrors.Exception(errno, $"Injected I/O error (errno {errno}) on {operation} of '{path}'.");
    }

    private static IOException DiskFull(string path) =>
        DiskErrors.Exception(DiskErrors.Enospc, $"No space left on device : '{path}'");
}
