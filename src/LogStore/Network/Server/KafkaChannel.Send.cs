using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using LogStore.Protocol;

namespace LogStore.Network.Server;

/// <summary>Writing a response: the size prefix, then the frame's parts in order, file regions zero-copy when the
/// transport can, else copied in bounded chunks.</summary>
internal sealed partial class KafkaChannel
{
    // Bytes written to the pipe between flushes: a large response never sits whole in the pipe, and a slow reader
    // makes the flush wait at the transport's write-buffer limit.
    private const int ChunkBytes = 64 << 10;

    /// <summary>Sends <paramref name="response"/> and disposes it; false when the peer no longer reads.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendAsync(ResponseFrame response)
    {
        using (response)
        {
            PipeWriter output = _connection.Transport.Output;
            long length = response.Length;
            if (length > int.MaxValue)
                throw new InvalidOperationException($"A response of {length} bytes cannot be framed (a Kafka size is an int32).");
            BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), (int)length);
            output.Advance(4);
            int unflushed = 4;
            foreach (ResponseFramePart part in response.Parts)
            {
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
            // Armed before the last flush: once the client has the response, the idle clock already runs.
            ArmIdle();
            return await FlushAsync(output).ConfigureAwait(false);
        }
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FlushAsync(PipeWriter output)
    {
        FlushResult result = await output.FlushAsync(_aborted).ConfigureAwait(false);
        return !result.IsCompleted && !result.IsCanceled;
    }
}
