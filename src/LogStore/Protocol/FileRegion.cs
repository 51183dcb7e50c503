using Microsoft.Win32.SafeHandles;

namespace LogStore.Protocol;

/// <summary>
/// A byte range of a segment file that a response carries as is (Fetch records): the socket transport sends it with
/// <c>sendfile(2)</c>, other transports copy it. <paramref name="Lease"/> keeps the file open until the frame is sent.
/// </summary>
internal readonly record struct FileRegion(SafeFileHandle File, long Position, int Length, IDisposable? Lease);
