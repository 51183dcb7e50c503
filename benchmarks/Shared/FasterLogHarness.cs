using FASTER.core;

namespace LogStore.BenchmarkShared;

/// <summary>
/// A Microsoft.FASTER.Core 2.6.5 FasterLog in its own directory, configured at its best for a sequential log:
/// 4 MiB pages (PageSizeBits 22), 64 MiB of in-memory log (MemorySizeBits 26), a local storage device.
/// <see cref="Devices.CreateLogDevice"/> on Linux makes a <see cref="ManagedLocalStorageDevice"/> whose files are
/// opened with O_SYNC (FileOptions.WriteThrough; its "no buffering" flag has no effect on Linux under .NET 10, as
/// strace shows: no O_DIRECT), so every page flush is a synchronous write to the disk and reads go through the OS
/// page cache, like LogStore's. Shared by both benchmark programs. Dispose closes the log and deletes the directory.
/// </summary>
internal sealed class FasterLogHarness : IDisposable
{
    /// <summary>The settings, as the benchmark reports name them.</summary>
    public const string SettingsDescription = "PageSize 4 MiB (PageSizeBits 22), MemorySize 64 MiB (MemorySizeBits 26), " +
        "Devices.CreateLogDevice (O_SYNC on Linux), default segment size 1 GiB";

    private readonly IDevice _device;
    private readonly FasterLogSettings _settings;

    private FasterLogHarness(string directory, IDevice device, FasterLogSettings settings, FasterLog log)
    {
        Directory = directory;
        _device = device;
        _settings = settings;
        Log = log;
    }

    public string Directory { get; }

    public FasterLog Log { get; }

    /// <summary>A FasterLog in <paramref name="directory"/>, an empty directory the harness deletes when disposed;
    /// <paramref name="autoRefreshSafeTail"/> shows each entry to uncommitted scans as it is enqueued.</summary>
    public static FasterLogHarness Create(string directory, bool autoRefreshSafeTail = false)
    {
        IDevice device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), deleteOnClose: true);
        var settings = new FasterLogSettings
        {
            LogDevice = device,
            PageSizeBits = 22,
            MemorySizeBits = 26,
            LogCommitDir = Path.Combine(directory, "commits"),
            AutoRefreshSafeTailAddress = autoRefreshSafeTail,
        };
        return new FasterLogHarness(directory, device, settings, new FasterLog(settings));
    }

    /// <summary>Enqueue(span) of every record, then CommitAsync, waiting for it (durable).</summary>
    public void AppendDurably(byte[] value, long records)
    {
        FasterLog log = Log;
        for (long i = records; i > 0; i--)
            log.Enqueue(value.AsSpan());
        Commit();
    }

    /// <summary>Commits everything enqueued and waits for it.</summary>
    public void Commit() => Log.CommitAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Scans every entry with UnsafeGetNext (a pointer into FasterLog's page frame, no copy); returns the bytes seen.</summary>
    public unsafe long ScanAll()
    {
        long valueBytes = 0;
        using FasterLogScanIterator iterator = Log.Scan(Log.BeginAddress, Log.TailAddress);
        while (true)
        {
            if (iterator.UnsafeGetNext(out byte* _, out int length, out _, out _))
            {
                valueBytes += length;
                iterator.UnsafeRelease();
            }
            else if (iterator.Ended)
            {
                return valueBytes;
            }
            else
            {
                iterator.WaitAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>One entry by its logical address (FasterLog's ReadAsync; a byte[] per read); returns its length.</summary>
    public int ReadAt(long address, int estimatedLength)
    {
        (byte[] bytes, int length) = Log.ReadAsync(address, estimatedLength).AsTask().GetAwaiter().GetResult();
        return bytes is null ? throw new InvalidOperationException($"No entry at address {address}.") : length;
    }

    /// <summary>Scans every entry with GetNext, which copies each into a new byte[]; returns the bytes seen.</summary>
    public long ScanAllCopying()
    {
        long valueBytes = 0;
        using FasterLogScanIterator iterator = Log.Scan(Log.BeginAddress, Log.TailAddress);
        while (true)
        {
            if (iterator.GetNext(out byte[] entry, out int length, out _))
            {
                valueBytes += entry.Length == length ? length : 0;
            }
            else if (iterator.Ended)
            {
                return valueBytes;
            }
            else
            {
                iterator.WaitAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>Scans every entry with FasterLog's documented async form, <c>await foreach</c> over
    /// <c>GetAsyncEnumerable()</c> (a byte[] per entry); returns the bytes seen.</summary>
    public async Task<long> ScanAllAsync()
    {
        long valueBytes = 0;
        long end = Log.TailAddress;
        using FasterLogScanIterator iterator = Log.Scan(Log.BeginAddress, end);
        await foreach ((byte[] entry, int length, long _, long nextAddress) in iterator.GetAsyncEnumerable())
        {
            valueBytes += entry.Length == length ? length : 0;
            if (nextAddress >= end)
                break;
        }
        return valueBytes;
    }

    public void Dispose()
    {
        try
        {
            Log.Dispose();
            _device.Dispose();
            _settings.Dispose();
        }
        finally
        {
            if (System.IO.Directory.Exists(Directory))
                System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
