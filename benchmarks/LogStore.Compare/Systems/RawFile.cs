namespace LogStore.Compare.Systems;

/// <summary>
/// The physical ceiling: the users' payload written to one file with no framing, no index and no checksum, in
/// 1 MiB write(2) calls through an unbuffered <see cref="FileStream"/>, then fsynced. Two variants: plain (the
/// kernel keeps everything dirty until the fsync, so the disk idles while the page cache fills) and with write-behind
/// (writeback of each 8 MiB started at once, so the disk works while the writer writes; what LogStore's segment files
/// do). Not thread-safe: one writer per file.
/// </summary>
internal sealed class RawFile : IDisposable
{
    /// <summary>Write-behind granularity, as LogStore's FileRecords uses.</summary>
    public const int WritebackBytes = 8 << 20;

    private readonly FileStream _file;
    private readonly bool _writeBehind;
    private long _written;
    private long _writebackStart;
    private Task? _pendingFsync;

    public RawFile(string path, bool writeBehind)
    {
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.None);
        _writeBehind = writeBehind;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        _file.Write(bytes);
        _written += bytes.Length;
        if (_writeBehind && _written - _writebackStart >= WritebackBytes)
        {
            NativeFile.StartWriteback(_file.SafeFileHandle, _writebackStart, _written - _writebackStart);
            _writebackStart = _written;
        }
    }

    /// <summary>Writes <paramref name="records"/> records from <paramref name="chunk"/> (whole records, about 1 MiB);
    /// <paramref name="afterChunk"/> runs after each full chunk (workload 4's fsync cadence).</summary>
    public void WriteRecords(byte[] chunk, int size, long records, Action<RawFile>? afterChunk = null)
    {
        long perChunk = chunk.Length / size;
        for (; records >= perChunk; records -= perChunk)
        {
            Write(chunk);
            afterChunk?.Invoke(this);
        }
        if (records > 0)
            Write(chunk.AsSpan(0, (int)(records * size)));
    }

    /// <summary>fsync, waiting for it.</summary>
    public void Fsync() => _file.Flush(flushToDisk: true);

    /// <summary>Starts an fsync on the thread pool and returns at once, after waiting for the previous one: the writer
    /// keeps writing while the disk syncs, and at most two cadences of data are ever not yet durable.</summary>
    public void FsyncInBackground()
    {
        _pendingFsync?.GetAwaiter().GetResult();
        Microsoft.Win32.SafeHandles.SafeFileHandle handle = _file.SafeFileHandle;
        _pendingFsync = Task.Run(() => RandomAccess.FlushToDisk(handle));
    }

    /// <summary>Ends durable: waits for a background fsync, then fsyncs everything.</summary>
    public void Complete()
    {
        _pendingFsync?.GetAwaiter().GetResult();
        _pendingFsync = null;
        Fsync();
    }

    public void Dispose()
    {
        _pendingFsync?.GetAwaiter().GetResult();
        _file.Dispose();
    }

    /// <summary>Reads the file front to back in 1 MiB reads (the page-cache copy ceiling); returns the bytes read.</summary>
    public static long ReadAll(string path, byte[] buffer)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        long total = 0;
        int n;
        while ((n = file.Read(buffer)) > 0)
            total += n;
        return total;
    }
}
