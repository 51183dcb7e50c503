using System.Buffers;
using System.Buffers.Binary;
using LogStore.Network;
using LogStore.Protocol;

namespace LogStore.Tests.Network;

/// <summary>
/// A request handler for the network tests, driven by the request's api key: echo (correlation id and body), throw,
/// reject as invalid, block until released, answer with a file region, or answer nothing. Counts what it saw and the
/// most requests it ever had in flight at once.
/// </summary>
internal sealed class TestRequestHandler : IKafkaRequestHandler
{
    public const short Echo = 0;
    public const short Throw = 1;
    public const short Invalid = 2;
    public const short Block = 3;
    public const short File = 4;
    public const short NoResponse = 5;

    private int _inFlight;
    private int _requests;
    private int _maxInFlight;
    private int _canceled;

    /// <summary>Completed when a <see cref="Block"/> request is being handled.</summary>
    public TaskCompletionSource BlockEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Complete it to let <see cref="Block"/> requests answer.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What a <see cref="File"/> request answers between its header and trailer bytes.</summary>
    public Func<FileRegion>? FileRegionFactory { get; set; }

    public int Requests => Volatile.Read(ref _requests);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int Canceled => Volatile.Read(ref _canceled);

    /// <summary>Bytes the handler echoes before and after a file region.</summary>
    public static readonly byte[] Header = "HEAD"u8.ToArray();
    public static readonly byte[] Trailer = "TAIL"u8.ToArray();

    public async ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken)
    {
        byte[] bytes = request.ToArray();
        short apiKey = BinaryPrimitives.ReadInt16BigEndian(bytes);
        Interlocked.Increment(ref _requests);
        int inFlight = Interlocked.Increment(ref _inFlight);
        int max;
        while (inFlight > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) != max)
        {
        }
        try
        {
            var response = new ResponseFrame();
            response.Write(bytes.AsSpan(4, 4));   // correlation id
            switch (apiKey)
            {
                case Throw:
                    throw new InvalidOperationException("the handler failed");
                case Invalid:
                    throw new KafkaProtocolException("not a request");
                case Block:
                    BlockEntered.TrySetResult();
                    try
                    {
                        await Release.Task.WaitAsync(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        Interlocked.Increment(ref _canceled);
                        throw;
                    }
                    break;
                case File:
                    response.Write(Header);
                    response.AddFileRegion(FileRegionFactory!());
                    response.Write(Trailer);
                    return response;
                case NoResponse:
                    response.Dispose();
                    return null;
            }
            response.Write(bytes.AsSpan(8));
            return response;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
