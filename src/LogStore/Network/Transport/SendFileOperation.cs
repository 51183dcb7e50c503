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
    private ManualResetValueTaskSourceCore<long> _source = new() { RunContinuationsAsynchronously = true };

    public SendFileOperation() : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Sends the whole region; completes with the bytes sent.</summary>
    public ValueTask<long> SendAsync(Socket socket, FileRegion region)
    {
        // SendPacketsElement takes a FileStream, not a handle: a view of the segment's handle that is never disposed
        // (disposing would close the handle its owner still uses), so its finalizer is suppressed too.
        var stream = new FileStream(region.File, FileAccess.Read, bufferSize: 0);
        GC.SuppressFinalize(stream);
        _elements[0] = new SendPacketsElement(stream, region.Position, region.Length, endOfPacket: true);
        SendPacketsElements = _elements;
        _source.Reset();
        if (!socket.SendPacketsAsync(this))
            OnCompleted(this);
        return new ValueTask<long>(this, _source.Version);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        _elements[0] = null!;
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
