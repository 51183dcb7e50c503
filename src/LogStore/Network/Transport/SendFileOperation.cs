using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using LogStore.Protocol;

namespace LogStore.Network.Transport;

/// <summary>
/// <see cref="Socket.SendPacketsAsync"/> with one file element, as an awaitable reused by a connection: on Linux .NET
/// sends a file element with <c>sendfile(2)</c>, so the bytes go from the page cache to the socket without a copy
/// through user space. One operation at a time (the connection's send loop).
/// </summary>
internal sealed class SendFileOperation : SocketAsyncEventArgs, IValueTaskSource<long>
{
    private readonly SendPacketsElement[] _elements = new SendPacketsElement[1];
    private FileStream? _stream;
    private ManualResetValueTaskSourceCore<long> _source = new() { RunContinuationsAsynchronously = true };

    public SendFileOperation() : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Sends the whole region; completes with the bytes sent.</summary>
    public ValueTask<long> SendAsync(Socket socket, FileRegion region)
    {
        // SendPacketsElement takes only a FileStream opened for asynchronous I/O, and a segment's handle is synchronous
        // (positional reads and writes): the same open file is opened again through /proc/self/fd (/dev/fd on macOS),
        // which names it even once renamed or deleted, and closed when the send completes.
        _stream = new FileStream(File.OpenHandle(FdPath(region.File), FileMode.Open, FileAccess.Read,
            FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous), FileAccess.Read, bufferSize: 0, isAsync: true);
        _elements[0] = new SendPacketsElement(_stream, region.Position, region.Length, endOfPacket: true);
        SendPacketsElements = _elements;
        _source.Reset();
        if (!socket.SendPacketsAsync(this))
            OnCompleted(this);
        return new ValueTask<long>(this, _source.Version);
    }

    /// <summary>Whether this platform can send a file region this way (not Windows, whose handles have no such path).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    private static string FdPath(Microsoft.Win32.SafeHandles.SafeFileHandle file) =>
        (OperatingSystem.IsLinux() ? "/proc/self/fd/" : "/dev/fd/") + file.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        _elements[0] = null!;
        _stream?.Dispose();
        _stream = null;
        if (SocketError == SocketError.Success)
            _source.SetResult(BytesTransferred);
        else
            _source.SetException(new SocketException((int)SocketError));
    }

    public long GetResult(short token) => _source.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
