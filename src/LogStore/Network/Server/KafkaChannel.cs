using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using LogStore.Diagnostics;
using LogStore.Network.Features;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace LogStore.Network.Server;

/// <summary>
/// One client connection's request loop (Kafka's KafkaChannel and the processor's part for it): reads frames in order
/// (4-byte big-endian size, checked against socket.request.max.bytes before the body is waited for), hands each to the
/// request handler and writes its response before reading the next, so responses go in request order and a client
/// that pipelines waits on the transport's bounded buffers while a request is in flight. Closes when idle for
/// connections.max.idle.ms, when asked to (a stopping listener) after the request in flight, or when aborted. One loop;
/// not thread-safe.
/// </summary>
internal sealed partial class KafkaChannel : IDisposable
{
    // Frames up to this size wait in the transport's input pipe, which must hold at least this much before it pauses
    // (ours pause at 1 MiB, Kestrel's default too); larger ones are gathered into a pooled buffer as they arrive.
    internal const int PipeFrameBytes = 256 << 10;
    private const int MinFrameSize = 8;   // api key, api version, correlation id

    private readonly KafkaConnectionHandler _owner;
    private readonly ConnectionContext _connection;
    private readonly KafkaConnectionInfo _info;
    private readonly IZeroCopySendFeature? _zeroCopy;
    private readonly CancellationTokenSource _idle;
    private readonly CancellationTokenSource _waiting;
    private readonly CancellationToken _closeRequested;
    private readonly CancellationToken _aborted;

    public KafkaChannel(KafkaConnectionHandler owner, ConnectionContext connection, KafkaConnectionInfo info)
    {
        _owner = owner;
        _connection = connection;
        _info = info;
        _zeroCopy = info.IsEncrypted ? null : connection.Features.Get<IZeroCopySendFeature>();
        _closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        _aborted = connection.ConnectionClosed;
        // Armed from the start: a connection that never sends a request is idle too.
        _idle = new CancellationTokenSource(owner.ConnectionsMaxIdle, owner.Time);
        _waiting = CancellationTokenSource.CreateLinkedTokenSource(_idle.Token, _closeRequested, _aborted);
    }

    /// <summary>Serves requests until the connection should close; returns why, for the log.</summary>
    public async Task<string> RunAsync()
    {
        PipeReader input = _connection.Transport.Input;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(_waiting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_waiting.IsCancellationRequested)
            {
                return WhyWaitEnded();
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return "the transport canceled the read";
            }
            if (buffer.Length >= 4)
            {
                int size = ReadSize(buffer);
                int max = MaxFrameBytes;
                // After a SaslHandshake v0 the client's tokens come raw, and may be shorter than any request.
                int min = _info.Sasl is { ExpectsRawToken: true } ? 0 : MinFrameSize;
                if (size < min || size > max)
                {
                    input.AdvanceTo(buffer.Start);
                    return Malformed(size < min
                        ? $"size {size} is less than a request header's {MinFrameSize} bytes"
                        : max == _owner.SocketRequestMaxBytes
                            ? $"size {size} is more than socket.request.max.bytes ({max})"
                            : $"size {size} is more than sasl.server.max.receive.size ({max}) before authentication");
                }
                if (buffer.Length >= 4L + size)
                {
                    ReadOnlySequence<byte> frame = buffer.Slice(4, size);
                    ValueTask<bool> serving = ServeAsync(frame);
                    bool open = serving.IsCompletedSuccessfully ? serving.Result : await serving.ConfigureAwait(false);
                    input.AdvanceTo(frame.End);
                    if (!open)
                        return "the peer stopped reading";
                    if (_info.CloseReason is { } closing)
                        return closing;
                    if (_closeRequested.IsCancellationRequested)
                        return "the listener is stopping";
                    continue;
                }
                if (4L + size > PipeFrameBytes)
                {
                    if (await GatherAndServeAsync(input, buffer, size).ConfigureAwait(false) is { } closed)
                        return closed;
                    continue;
                }
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                return buffer.IsEmpty ? "closed by the peer" : $"closed by the peer in the middle of a frame ({buffer.Length} bytes)";
            ArmIdle();   // bytes arrived: the connection is not idle
        }
    }

    /// <summary>Handles one request and sends its response; false when the peer no longer reads. Synchronous when the
    /// handler and the flush are (a small response into a pipe with room): nothing is allocated per request then.</summary>
    private ValueTask<bool> ServeAsync(ReadOnlySequence<byte> frame)
    {
        // A request in flight is not idleness, however long the handler takes.
        _idle.CancelAfter(Timeout.InfiniteTimeSpan);
        ValueTask<ResponseFrame?> handling = _owner.RequestHandler.HandleAsync(frame, _info, _aborted);
        return handling.IsCompletedSuccessfully ? RespondAsync(handling.Result) : ServeSlowAsync(handling);
    }

    private async ValueTask<bool> ServeSlowAsync(ValueTask<ResponseFrame?> handling) =>
        await RespondAsync(await handling.ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Collects a frame too large to wait for in the pipe into a pooled buffer, then serves it; returns why the
    /// connection should close, or null.</summary>
    private async ValueTask<string?> GatherAndServeAsync(PipeReader input, ReadOnlySequence<byte> buffer, int size)
    {
        // The size was checked against the limit: renting it is what the limit allows.
        byte[] body = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            ReadOnlySequence<byte> received = buffer.Slice(4);
            received.CopyTo(body);
            int filled = (int)received.Length;
            input.AdvanceTo(buffer.End);
            while (filled < size)
            {
                ReadResult result;
                try
                {
                    result = await input.ReadAsync(_waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_waiting.IsCancellationRequested)
                {
                    return WhyWaitEnded();
                }
                ReadOnlySequence<byte> more = result.Buffer;
                int take = (int)Math.Min(more.Length, size - filled);
                more.Slice(0, take).CopyTo(body.AsSpan(filled));
                filled += take;
                input.AdvanceTo(more.GetPosition(take));
                if (filled < size && (result.IsCompleted || result.IsCanceled))
                    return $"closed by the peer in the middle of a frame ({filled} of {size} bytes)";
                ArmIdle();
            }
            if (!await ServeAsync(new ReadOnlySequence<byte>(body, 0, size)).ConfigureAwait(false))
                return "the peer stopped reading";
            if (_info.CloseReason is { } closing)
                return closing;
            return _closeRequested.IsCancellationRequested ? "the listener is stopping" : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>The frame limit: before SASL authentication, sasl.server.max.receive.size, as in Kafka, so that a peer
    /// nobody knows cannot make the broker buffer socket.request.max.bytes.</summary>
    private int MaxFrameBytes => _owner.SaslMaxReceiveBytes is { } sasl && _info.AuthenticatedUser is null
        ? Math.Min(sasl, _owner.SocketRequestMaxBytes)
        : _owner.SocketRequestMaxBytes;

    private static int ReadSize(ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    private string Malformed(string reason)
    {
        NetworkLog.MalformedFrame(_owner.Logger, _info.ConnectionId, _info.RemoteEndPoint, reason);
        return "malformed frame";
    }

    private string WhyWaitEnded()
    {
        if (_aborted.IsCancellationRequested)
            return "aborted";
        if (_closeRequested.IsCancellationRequested)
            return "the listener is stopping";
        NetworkLog.ConnectionIdle(_owner.Logger, _info.ConnectionId, _info.RemoteEndPoint, (long)_owner.ConnectionsMaxIdle.TotalMilliseconds);
        return "idle";
    }

    private void ArmIdle() => _idle.CancelAfter(_owner.ConnectionsMaxIdle);

    public void Dispose()
    {
        _waiting.Dispose();
        _idle.Dispose();
    }
}
