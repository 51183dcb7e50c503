using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace LogStore.Tests.Network;

/// <summary>A Kafka-framed client over any duplex pipe (in-memory ends, a socket's or a TLS stream's).</summary>
internal sealed class TestClient(IDuplexPipe pipe, IAsyncDisposable? owner = null) : IAsyncDisposable
{
    public static TestClient OverStream(Stream stream) =>
        new(new StreamPipe(PipeReader.Create(stream), PipeWriter.Create(stream)), stream);

    /// <summary>A request frame: size, api key, api version 0, correlation id, body.</summary>
    public static byte[] Request(short apiKey, int correlationId, ReadOnlySpan<byte> body = default)
    {
        var frame = new byte[12 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 8 + body.Length);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), correlationId);
        body.CopyTo(frame.AsSpan(12));
        return frame;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        FlushResult result = await pipe.Output.WriteAsync(bytes, cancellationToken);
        Assert.That(result.IsCompleted, Is.False, "the server stopped reading");
    }

    /// <summary>Writes and flushes one byte at a time: every byte its own segment, on the wire its own send.</summary>
    public async Task SendByteByByteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        for (int i = 0; i < bytes.Length; i++)
            await pipe.Output.WriteAsync(bytes.AsMemory(i, 1), cancellationToken);
    }

    /// <summary>Sends without waiting for the flush: for watching backpressure.</summary>
    public ValueTask<FlushResult> SendPendingAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        pipe.Output.WriteAsync(bytes, cancellationToken);

    /// <summary>The next response's bytes without the size prefix.</summary>
    public async Task<byte[]> ReadResponseAsync(CancellationToken cancellationToken)
    {
        byte[]? response = await TryReadResponseAsync(cancellationToken);
        Assert.That(response, Is.Not.Null, "the connection closed instead of answering");
        return response!;
    }

    /// <summary>The next response, or null when the connection closed (end of stream or reset) first.</summary>
    public async Task<byte[]?> TryReadResponseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await pipe.Input.ReadAsync(cancellationToken);
            }
            catch (IOException)
            {
                return null;   // reset
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                int size = BinaryPrimitives.ReadInt32BigEndian(buffer.Slice(0, 4).ToArray());
                if (buffer.Length >= 4L + size)
                {
                    byte[] response = buffer.Slice(4, size).ToArray();
                    pipe.Input.AdvanceTo(buffer.GetPosition(4L + size));
                    return response;
                }
            }
            pipe.Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                return null;
        }
    }

    /// <summary>True once the server closed the connection; fails if a response comes instead.</summary>
    public async Task<bool> IsClosedByServerAsync(CancellationToken cancellationToken)
    {
        byte[]? response = await TryReadResponseAsync(cancellationToken);
        Assert.That(response, Is.Null, "a response came where the connection should have closed");
        return true;
    }

    public static int CorrelationId(byte[] response) => BinaryPrimitives.ReadInt32BigEndian(response);

    public async ValueTask DisposeAsync()
    {
        await pipe.Output.CompleteAsync();
        await pipe.Input.CompleteAsync();
        if (owner is not null)
            await owner.DisposeAsync();
    }

    private sealed class StreamPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
