using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage;

internal sealed partial class FileRecords
{
    /// <summary>
    /// The open handle, held open until the returned lease is disposed (the cache closes it only after): what a response
    /// that sends a range of this file with <c>sendfile</c> holds while the bytes leave.
    /// </summary>
    public (SafeFileHandle Handle, IDisposable Lease) LeaseHandle()
    {
        SafeFileHandle handle = Acquire().Handle;
        return (handle, new HandleLease(this));
    }

    private sealed class HandleLease(FileRecords file) : IDisposable
    {
        private FileRecords? _file = file;

        public void Dispose() => Interlocked.Exchange(ref _file, null)?.Release();
    }
}
