using FASTER.core;

namespace LogStore.Compare.Systems;

/// <summary>
/// A Microsoft.FASTER.Core 2.6.5 FasterLog in its own directory, at its best settings for a sequential log (as in
/// benchmarks/LogStore.Benchmarks/FasterLogHarness.cs): 4 MiB pages (PageSizeBits 22), 64 MiB of in-memory log
/// (MemorySizeBits 26), a local storage device. On Linux <see cref="Devices.CreateLogDevice"/> opens its files with
/// O_SYNC, so each page flush is a synchronous write to the disk; commits write the commit metadata. Reads go through
/// the OS page cache. Dispose closes the log and deletes the directory.
/// </summary>
internal sealed class FasterLogStore : IDisposable
{
    public const string Settings = "PageSize 4 MiB (PageSizeBits 22), MemorySize 64 MiB (MemorySizeBits 26), " +
        "Devices.CreateLogDevice (O_SYNC on Linux), default segment size 1 GiB";

    private readonly IDevice _device;
    private readonly FasterLogSettings _settings;

    private FasterLogStore(string directory, IDevice device, FasterLogSettings settings, FasterLog log)
    {
        Directory = directory;
        _device = device;
        _settings = settings;
        Log = log;
    }

    public string Directory { get; }

    public FasterLog Log { get; }

    public static FasterLogStore Create(string name)
    {
        string directory = Scratch.NewDirectory(name);
        IDevice device = Devices.CreateLogDevice(Path.Combine(directory, "hlog.log"), deleteOnClose: true);
        var settings = new FasterLogSettings
        {
            LogDevice = device,
            PageSizeBits = 22,
            MemorySizeBits = 26,
            LogCommitDir = Path.Combine(directory, "commits"),
        };
        return new FasterLogStore(directory, device, settings, new FasterLog(settings));
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
            Scratch.Delete(Directory);
        }
    }
}
