using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Compare.Systems;

/// <summary>Linux file calls .NET does not expose: start writeback of a range early (RocksDB's bytes_per_sync).</summary>
internal static partial class NativeFile
{
    private const uint SyncFileRangeWrite = 2;

    /// <summary>Asks the kernel to start writing <paramref name="length"/> bytes at <paramref name="offset"/> to the
    /// disk now, without waiting (no durability by itself: the final fsync still decides). No-op off Linux.</summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        if (OperatingSystem.IsLinux())
            _ = SyncFileRange((int)handle.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);
}
