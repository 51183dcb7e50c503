using FASTER.core;

namespace LogStore.Benchmarks;

/// <summary>
/// A Microsoft.FASTER.Core 2.6.5 FasterLog in its own directory, configured at its best for a sequential log:
/// 4 MiB pages (PageSizeBits 22), 64 MiB of in-memory log (MemorySizeBits 26), a local storage device.
/// <see cref="Devices.CreateLogDevice"/> on Linux makes a <see cref="ManagedLocalStorageDevice"/> whose files are
/// opened with O_SYNC (FileOptions.WriteThrough; its "no buffering" flag has no effect on Linux under .NET 10, as
/// strace shows: no O_DIRECT), so every page flush is a synchronous write to the disk and reads go through the OS
/// page cache, like LogStore's.
/// </summary>
internal sealed class FasterLogHarness : IDisposable
{
    private FasterLogHarness(string directory, IDevice device, FasterLogSettings settings, FasterLog log)
    {
        Directory = directory;
        Device = device;
        Settings = settings;
        Log = log;
    }

    public string Directory { get; }

    public IDevice Device { get; }

    public FasterLogSettings Settings { get; }

    public FasterLog Log { get; }

    public static FasterLogHarness Create(string name)
    {
        string directory = Workload.NewTempDirectory(name);
        IDevice device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), deleteOnClose: true);
        var settings = new FasterLogSettings
        {
            LogDevice = device,
            PageSizeBits = 22,
            MemorySizeBits = 26,
            LogCommitDir = Path.Combine(directory, "commits"),
        };
        var log = new FasterLog(settings);
        return new FasterLogHarness(directory, device, settings, log);
    }

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

    public void Dispose()
    {
        Log.Dispose();
        Device.Dispose();
        Settings.Dispose();
        Workload.DeleteDirectory(Directory);
    }
}
