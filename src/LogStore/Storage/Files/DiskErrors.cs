namespace LogStore.Storage.Files;

/// <summary>
/// Recognises the I/O errors that storage treats specially. .NET reports a failed system call as an
/// <see cref="IOException"/> whose HResult is the errno on Unix and an HRESULT wrapping the Win32 error on Windows.
/// </summary>
internal static class DiskErrors
{
    /// <summary>errno ENOSPC: no space left on device.</summary>
    public const int Enospc = 28;

    /// <summary>errno EIO: an I/O error (a failing disk, a lost write-back).</summary>
    public const int Eio = 5;

    private const int WindowsDiskFull = 112;        // ERROR_DISK_FULL
    private const int WindowsHandleDiskFull = 39;   // ERROR_HANDLE_DISK_FULL

    /// <summary>True when <paramref name="e"/> (or an exception it wraps) says the disk is full.</summary>
    public static bool IsDiskFull(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is IOException io && (io.HResult == Enospc || (OperatingSystem.IsWindows() && (io.HResult & 0xFFFF) is WindowsDiskFull or WindowsHandleDiskFull)))
                return true;
        }
        return false;
    }

    /// <summary>An <see cref="IOException"/> carrying <paramref name="errno"/> as .NET's own would.</summary>
    public static IOException Exception(int errno, string message) => new(message, errno);
}
