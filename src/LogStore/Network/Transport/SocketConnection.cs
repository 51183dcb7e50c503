using System.IO.Pipelines;
using System.Net.Sockets;
using LogStore.Network.Features;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// One accepted TCP socket as a <see cref="ConnectionContext"/>: a receive loop pumps the socket into the input pipe
/// (pausing at <see cref="SocketConnectionListenerFactory.MaxReadBufferSize"/> unconsumed bytes, which is the
/// backpressure on a fast client), a send loop pumps the output pipe into the socket, and
/// <see cref="IZeroCopySendFeature"/> slips file regions between the output's bytes with <c>sendfile(2)</c>.
/// Abort tears the socket down at once; DisposeAsync sends what was written, then closes. Thread-safe.
/// </summary>
internal sealed partial class SocketConnection : TransportConnection, IZeroCopySendFeature
{
    // The smallest buffer a receive asks the pipe for: a whole small request in one syscall.
    private const int MinReceiveBufferSize = 4096;
    private const int MaxReceiveBufferSize = 256 << 10;

    private readonly Socket _socket;
    private readonly SocketConnectionListenerFactory _factory;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private volatile ConnectionAbortedException? _abortReason;
    private int _disposed;

    public SocketConnection(Socket socket, SocketConnectionListenerFactory factory)
    {
        _socket = socket;
        _factory = factory;
        _input = new Pipe(PipeOptionsFor(factory.MaxReadBufferSize));
        _output = new Pipe(PipeOptionsFor(factory.MaxWriteBufferSize));
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        if (SendFileOperation.IsSupported)
            Features.Set<IZeroCopySendFeature>(this);
    }

    /// <summary>Starts the receive and send loops.</summary>
    public void Start()
    {
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    protected override void OnAbort(ConnectionAbortedException abortReason)
    {
        _abortReason ??= abortReason;
        CloseSocket();
    }

    /// <summary>Completes the application's pipe ends, lets the send loop send what was written, then closes the socket
    /// and waits for both loops.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _input.Reader.Complete();
        _output.Writer.Complete();
        await _sending.ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
        DisposeTokens();
    }

    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();   // the loops run beside the accept loop, never on it
        PipeWriter writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Kestrel's way: wait for data with a zero-byte receive, then take a buffer as large as what arrived, so
                // an idle connection holds no buffer and a large request is read in a few system calls, not 4 KiB ones.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                Memory<byte> memory = writer.GetMemory(Math.Clamp(_socket.Available, MinReceiveBufferSize, MaxReceiveBufferSize));
                int received = await _socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                    break;   // the peer closed its side
                writer.Advance(received);
                FlushResult flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                    break;
            }
        }
        catch (SocketException e) when (_abortReason is null && e.SocketErrorCode is SocketError.ConnectionReset)
        {
            error = new ConnectionResetException(e.Message, e);
            FireClosed();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = _abortReason ?? new ConnectionAbortedException("The connection's socket failed.", e);
            FireClosed();
        }
        finally
        {
            await writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private void CloseSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset or closed: closing is all that is left.
        }
        _socket.Dispose();
    }

    private static PipeOptions PipeOptionsFor(int maxBufferedBytes) => new(
        pauseWriterThreshold: maxBufferedBytes,
        resumeWriterThreshold: maxBufferedBytes / 2,
        useSynchronizationContext: false);

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
