using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using LogStore.Network.Features;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>The send side: the loop that empties the output pipe into the socket, and file regions handed to it.</summary>
internal sealed partial class SocketConnection
{
    private readonly Lock _fileLock = new();
    private readonly SendFileOperation _sendFile = new();
    private PendingFile? _pendingFile;
    private bool _sendStopped;

    /// <summary>
    /// Hands <paramref name="region"/> to the send loop, which sends it after every byte flushed before: the loop is the
    /// only sender on the socket, so the wire order is the order of writes.
    /// </summary>
    async ValueTask IZeroCopySendFeature.SendFileAsync(FileRegion region, CancellationToken cancellationToken)
    {
        if (region.Length == 0)
            return;
        FlushResult flush = await _output.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCompleted)
            throw new ConnectionAbortedException("The connection's send side is closed.");
        // One per file region of a response (a Fetch's partitions), never per record.
        var pending = new PendingFile(region);
        lock (_fileLock)
        {
            if (_sendStopped)
                throw new ConnectionAbortedException("The connection's send side is closed.");
            _pendingFile = pending;
        }
        // Wakes the loop if it waits on an empty pipe; a loop that is sending finds the file when it is done.
        _output.Reader.CancelPendingRead();
        // Not cancellable by the token: sendfile is under way and only aborting the socket stops it (which fails this).
        await pending.Done.Task.ConfigureAwait(false);
    }

    private async Task SendLoopAsync()
    {
        await Task.Yield();
        PipeReader reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                    await SendAsync(buffer).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                if (TakePendingFile() is { } file)
                    await SendPendingFileAsync(reader, file).ConfigureAwait(false);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            error = _abortReason ?? new ConnectionAbortedException("The connection's socket failed.", e);
        }
        finally
        {
            PendingFile? orphan;
            lock (_fileLock)
            {
                _sendStopped = true;
                orphan = _pendingFile;
                _pendingFile = null;
            }
            orphan?.Done.TrySetException(error ?? new ConnectionAbortedException("The connection closed."));
            await reader.CompleteAsync(error).ConfigureAwait(false);
            // Nothing more goes out: closing the socket also ends the receive loop, which may wait for a silent peer.
            CloseSocket();
            FireClosed();
            _sendFile.Dispose();
        }
    }

    private async ValueTask SendPendingFileAsync(PipeReader reader, PendingFile file)
    {
        try
        {
            // Bytes flushed before the file was handed over, after this loop's last read, go first.
            while (reader.TryRead(out ReadResult more))
            {
                ReadOnlySequence<byte> buffer = more.Buffer;
                if (!buffer.IsEmpty)
                    await SendAsync(buffer).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                if (buffer.IsEmpty || more.IsCompleted)
                    break;
            }
            long sent = await _sendFile.SendAsync(_socket, file.Region).ConfigureAwait(false);
            _factory.AddSendFileBytes(sent);
            file.Done.TrySetResult();
        }
        catch (Exception e)
        {
            file.Done.TrySetException(e);
            throw;
        }
    }

    private PendingFile? TakePendingFile()
    {
        lock (_fileLock)
        {
            PendingFile? file = _pendingFile;
            _pendingFile = null;
            return file;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]   // per send: no state machine allocated
    private async ValueTask SendAsync(ReadOnlySequence<byte> buffer)
    {
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            ReadOnlyMemory<byte> rest = segment;
            while (!rest.IsEmpty)
            {
                int sent = await _socket.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
                rest = rest[sent..];
            }
        }
    }

    private sealed class PendingFile(FileRegion region)
    {
        public FileRegion Region { get; } = region;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
