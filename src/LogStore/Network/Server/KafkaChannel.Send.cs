using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using LogStore.Protocol;

namespace LogStore.Network.Server;

/// <summary>Writing a response: the size prefix, then the frame's parts in order, file regions zero-copy when the
/// transport can, else copied in bounded chunks.</summary>
internal sealed partial class KafkaChannel
{
    // Bytes written to the pipe between flushes: a large response never sits whole in the pipe, and a slow reader
    // makes the flush wait at the transport's write-buffer limit.
    private const int ChunkBytes = 64 << 10;

    /// <summary>Sends <paramref name="response"/> (none: nothing) and disposes it; false when the peer no longer reads.
    /// A response of bytes only that fits one chunk is written synchronously, and completes so when the flush does.</summary>
    private ValueTask<bool> RespondAsync(ResponseFrame? response)
    {
        if (response is null)
        {
            ArmIdle();
            return new ValueTask<bool>(true);
        }
        PipeWriter output = _connection.Transport.Output;
        if (!TryWriteSmall(output, response))
            return SendAsync(output, response);
        // Armed before the flush: once the client has the response, the idle clock already runs.
        ArmIdle();
        ValueTask<FlushResult> flushing = output.FlushAsync(_aborted);
        return flushing.IsCompletedSuccessfully ? new ValueTask<bool>(IsOpen(flushing.Result)) : AwaitFlushAsync(flushing);
    }

    /// <summary>Writes a small response of bytes only (prefix and parts) into the pipe and disposes it; false, writing
    /// nothing, for a large one or one with file regions.</summary>
    private static bool TryWriteSmall(PipeWriter output, ResponseFrame response)
    {
        IReadOnlyList<ResponseFramePart> parts = response.Parts;
        if (response.Length > ChunkBytes)
            return false;
        for (int i = 0; i < parts.Count; i++)
        {
            if (parts[i].IsFile)
                return false;
        }
        using (response)
        {
            WritePrefix(output, response.Length);
            for (int i = 0; i < parts.Count; i++)
                output.Write(parts[i].Bytes.AsSpan());
        }
        return true;
    }

    /// <summary>Sends a large response or one with file regions, flushing every chunk, and disposes it.</summary>
    private async ValueTask<bool> SendAsync(PipeWriter output, ResponseFrame response)
    {
        using (response)
        {
            WritePrefix(output, response.Length);
            int unflushed = 4;
            IReadOnlyList<ResponseFramePart> parts = response.Parts;
            for (int i = 0; i < parts.Count; i++)
            {
                ResponseFramePart part = parts[i];
                if (part.IsFile)
                {
                    if (_zeroCopy is not null)
                        await _zeroCopy.SendFileAsync(part.File, _aborted).ConfigureAwait(false);
                    else if (!await CopyFileAsync(output, part.File).ConfigureAwait(false))
                        return false;
                    unflushed = 0;
                    continue;
                }
                ArraySegment<byte> bytes = part.Bytes;
                for (int offset = 0; offset < bytes.Count;)
                {
                    int count = Math.Min(bytes.Count - offset, ChunkBytes - unflushed);
                    output.Write(bytes.AsSpan(offset, count));
                    offset += count;
                    unflushed += count;
                    if (unflushed >= ChunkBytes)
                    {
                        if (!await FlushAsync(output).ConfigureAwait(false))
                            return false;
                        unflushed = 0;
                    }
                }
            }
            ArmIdle();
            return await FlushAsync(output).ConfigureAwait(false);
        }
    }

    private static void WritePrefix(PipeWriter output, long length)
    {
        if (length > int.MaxValue)
            throw new InvalidOperationException($"A response of {length} bytes cannot be framed (a Kafka size is an int32).");
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), (int)length);
        output.Advance(4);
    }

    /// <summary>Copies a file region through the pipe (TLS, in memory), one chunk at a time.</summary>
    private async ValueTask<bool> CopyFileAsync(PipeWriter output, FileRegion region)
    {
        long position = region.Position;
        int remaining = region.Length;
        while (remaining > 0)
        {
            Memory<byte> memory = output.GetMemory(Math.Min(remaining, ChunkBytes));
            memory = memory[..Math.Min(remaining, memory.Length)];
            int read = await RandomAccess.ReadAsync(region.File, memory, position, _aborted).ConfigureAwait(false);
            if (read == 0)
                throw new IOException($"The file ended {remaining} bytes before the end of a response's file region (position {position}).");
            output.Advance(read);
            position += read;
            remaining -= read;
            if (!await FlushAsync(output).ConfigureAwait(false))
                return false;
        }
        return true;
    }

    private async ValueTask<bool> FlushAsync(PipeWriter output) =>
        IsOpen(await output.FlushAsync(_aborted).ConfigureAwait(false));

    private static async ValueTask<bool> AwaitFlushAsync(ValueTask<FlushResult> flushing) =>
        IsOpen(await flushing.ConfigureAwait(false));

    private static bool IsOpen(FlushResult result) => !result.IsCompleted && !result.IsCanceled;
}
