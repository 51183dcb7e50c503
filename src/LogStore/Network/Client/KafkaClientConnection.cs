using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using LogStore.Protocol;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Client;

/// <summary>
/// One outbound Kafka-protocol connection to another node (the follower's fetcher, the controller channel, the
/// producer's forwarder): typed requests out, typed responses back, one request in flight at a time, as Kafka's
/// replica fetcher does. Every response length is checked against a limit before anything is allocated; a response
/// that does not parse, a wrong correlation id, a timeout or a closed connection breaks the connection for good
/// (<see cref="NetworkException"/>), so the caller reconnects. Thread-safe.
/// </summary>
internal sealed class KafkaClientConnection : IAsyncDisposable
{
    private readonly ConnectionContext _connection;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly string _clientId;
    private readonly int _maxResponseBytes;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _correlationId;
    private volatile Exception? _broken;
    private int _disposed;

    private KafkaClientConnection(ConnectionContext connection, string clientId, int maxResponseBytes, TimeProvider timeProvider)
    {
        _connection = connection;
        _input = connection.Transport.Input;
        _output = connection.Transport.Output;
        _clientId = clientId;
        _maxResponseBytes = maxResponseBytes;
        _timeProvider = timeProvider;
    }

    /// <summary>The node this connection reaches.</summary>
    public EndPoint? RemoteEndPoint => _connection.RemoteEndPoint;

    /// <summary>False once a failure broke the connection or it was disposed: open a new one.</summary>
    public bool IsUsable => _broken is null && Volatile.Read(ref _disposed) == 0;

    /// <summary>Connects to <paramref name="endpoint"/> through <paramref name="factory"/>.</summary>
    /// <exception cref="NetworkException">The connection cannot be made.</exception>
    public static async ValueTask<KafkaClientConnection> ConnectAsync(IConnectionFactory factory, EndPoint endpoint, string clientId,
        int maxResponseBytes, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResponseBytes, 64);
        try
        {
            ConnectionContext connection = await factory.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new KafkaClientConnection(connection, clientId, maxResponseBytes, timeProvider);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new NetworkException($"Cannot connect to {endpoint}: {e.Message}", e);
        }
    }

    /// <summary>Sends <paramref name="request"/> as <paramref name="version"/> and returns the response, which owns its
    /// bytes (record sets included).</summary>
    /// <exception cref="NetworkException">The connection failed, timed out after <paramref name="timeout"/>, closed, or the
    /// peer answered with bytes that are not the response (the connection is closed).</exception>
    public async ValueTask<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse> =>
        (await ExchangeAsync<TRequest, TResponse>(request, version, timeout, pooled: false, cancellationToken).ConfigureAwait(false)).Response;

    /// <summary>
    /// <see cref="SendAsync{TRequest, TResponse}"/> for a large response read once: its bytes (record sets included) are a
    /// pooled buffer, valid until the lease is disposed. A follower's fetch takes a megabyte or more per response;
    /// a new array each time fills the large object heap and costs a full collection every few fetches.
    /// </summary>
    /// <exception cref="NetworkException">As for <see cref="SendAsync{TRequest, TResponse}"/>.</exception>
    public ValueTask<LeasedResponse<TResponse>> SendLeasedAsync<TRequest, TResponse>(TRequest request, short version, TimeSpan timeout,
        CancellationToken cancellationToken)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse> =>
        ExchangeAsync<TRequest, TResponse>(request, version, timeout, pooled: true, cancellationToken);

    private async ValueTask<LeasedResponse<TResponse>> ExchangeAsync<TRequest, TResponse>(TRequest request, short version, TimeSpan timeout,
        bool pooled, CancellationToken cancellationToken)
        where TRequest : IKafkaMessage<TRequest>
        where TResponse : IKafkaMessage<TResponse>
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfUnusable();
            var header = new RequestHeader { ApiKey = TRequest.ApiKey, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = _clientId };
            using var timer = new CancellationTokenSource(timeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            byte[]? frame = null;
            try
            {
                await WriteRequestAsync(header, request, linked.Token).ConfigureAwait(false);
                (frame, int size) = await ReadFrameAsync(pooled, linked.Token).ConfigureAwait(false);
                TResponse response = ResponseDecoder.Read<TResponse>(new ReadOnlySequence<byte>(frame, 0, size), version, header.ResponseHeaderIsFlexible,
                    out int correlationId);
                if (correlationId != header.CorrelationId)
                    throw new KafkaProtocolException($"correlation id {correlationId} answers no request (expected {header.CorrelationId})");
                return new LeasedResponse<TResponse>(response, pooled ? frame : null);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                ReturnPooled(pooled, frame);
                // A request whose response never came (or came garbled) leaves the stream at an unknown place.
                string reason = timer.IsCancellationRequested ? $"no response within {timeout.TotalMilliseconds:0} ms" : e.Message;
                var failure = new NetworkException($"{TRequest.ApiKey} v{version} to {RemoteEndPoint}: {reason}", e);
                Break(failure);
                throw failure;
            }
            catch
            {
                ReturnPooled(pooled, frame);
                Break(new OperationCanceledException("A request was cancelled mid-way."));
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void ReturnPooled(bool pooled, byte[]? frame)
    {
        if (pooled && frame is not null)
            ArrayPool<byte>.Shared.Return(frame);
    }

    private async ValueTask WriteRequestAsync<TRequest>(RequestHeader header, TRequest request, CancellationToken cancellationToken)
        where TRequest : IKafkaMessage<TRequest>
    {
        var body = new ArrayBufferWriter<byte>();
        Write(body, header, request);
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), body.WrittenCount);
        _output.Advance(4);
        _output.Write(body.WrittenSpan);
        FlushResult result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
            throw new IOException("the peer stopped reading");
    }

    private static void Write<TRequest>(ArrayBufferWriter<byte> output, RequestHeader header, TRequest request)
        where TRequest : IKafkaMessage<TRequest>
    {
        var writer = new KafkaWriter(output);
        header.Write(ref writer);
        request.Write(ref writer, header.ApiVersion);
    }

    /// <summary>
    /// The next frame's bytes without its size prefix; the size is checked before the array is allocated. The bytes are
    /// taken out of the pipe as they arrive: a frame may be larger than the transport buffers before it pauses the
    /// socket (a follower's fetch response holds up to ten 1 MiB batches), and waiting for all of it would wait forever.
    /// </summary>
    private async ValueTask<(byte[] Frame, int Size)> ReadFrameAsync(bool pooled, CancellationToken cancellationToken)
    {
        byte[]? frame = null;
        int length = 0, filled = 0;
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (frame is null && buffer.Length >= 4)
            {
                int size = ReadSize(buffer);
                if (size < 4 || size > _maxResponseBytes)
                {
                    _input.AdvanceTo(buffer.Start);
                    throw new KafkaProtocolException($"response size {size} is outside 4..{_maxResponseBytes}");
                }
                frame = pooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
                length = size;
                buffer = buffer.Slice(4);
            }
            if (frame is not null)
            {
                int take = (int)Math.Min(buffer.Length, length - filled);
                buffer.Slice(0, take).CopyTo(frame.AsSpan(filled));
                filled += take;
                _input.AdvanceTo(buffer.GetPosition(take));
                if (filled == length)
                    return (frame, length);
            }
            else
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                ReturnPooled(pooled, frame);
                throw new IOException("the peer closed the connection");
            }
        }
    }

    private static int ReadSize(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    private void Break(Exception reason)
    {
        if (_broken is not null)
            return;
        _broken = reason;
        _connection.Abort(new ConnectionAbortedException(reason.Message));
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_broken is { } reason)
            throw new NetworkException($"The connection to {RemoteEndPoint} is broken: {reason.Message}", reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _output.CompleteAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
