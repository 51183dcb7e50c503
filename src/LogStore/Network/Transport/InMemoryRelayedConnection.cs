using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// A client connection of <see cref="InMemoryNetwork"/> that runs through two pumps (one per direction), so the network
/// can break it the way a real one would:
/// <list type="bullet">
/// <item><see cref="Cut"/> stops both pumps, which end both sides' pipes (quietly, or failing with the reset's
/// exception) and fire both sides' <c>ConnectionClosed</c>, without touching a pipe end an application still writes to
/// (each pump owns the ends it completes);</item>
/// <item><see cref="SetDelay"/> holds each chunk a pump reads (whatever the sender wrote since the last read) for a
/// seeded random time on the network's <see cref="TimeProvider"/>: a pump relays one chunk at a time, so order holds;</item>
/// <item><see cref="SetPaused"/> holds the next chunk in both directions until resumed; bytes queue behind it in the
/// sender's pipe, whose bound then makes the sender's flush wait, and nothing is lost.</item>
/// </list>
/// Disposing it is a graceful close: what the application wrote still goes out (after a pause or delay, as from a
/// kernel's send buffer), then the end. Thread-safe.
/// </summary>
internal sealed class InMemoryRelayedConnection : TransportConnection
{
    private readonly InMemoryNetwork _network;
    private readonly InMemoryConnection _client;
    private readonly InMemoryConnection _server;
    private readonly Pipe _fromApplication;
    private readonly Pipe _toApplication;
    private readonly CancellationTokenSource _cut = new();
    // The receiving pump also stops when the application disposes its end: nobody reads what it would relay.
    private readonly CancellationTokenSource _stopReceiving;
    private volatile InMemoryDelay? _delay;
    private volatile Exception? _cutError;
    private TaskCompletionSource? _paused;
    private Task _sending = Task.CompletedTask;
    private Task _receiving = Task.CompletedTask;
    private int _pumpsRunning = 2;
    private int _cutOnce;
    private int _disposed;

    public InMemoryRelayedConnection(InMemoryNetwork network, InMemoryLink link, InMemoryConnection client, InMemoryConnection server)
    {
        _network = network;
        _client = client;
        _server = server;
        Link = link;
        _stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(_cut.Token);
        var options = new PipeOptions(useSynchronizationContext: false);
        _fromApplication = new Pipe(options);
        _toApplication = new Pipe(options);
        Transport = new RelayPipe(_toApplication.Reader, _fromApplication.Writer);
        LocalEndPoint = client.LocalEndPoint;
        RemoteEndPoint = client.RemoteEndPoint;
    }

    /// <summary>Which hosts this connection joins, and its id.</summary>
    public InMemoryLink Link { get; }

    /// <summary>Whether <see cref="Cut"/> was called (the pumps may still be ending).</summary>
    public bool IsCut => Volatile.Read(ref _cutOnce) != 0;

    /// <summary>Starts the pumps, once the network has applied its faults to the link.</summary>
    public void Start()
    {
        // Each direction draws its delays from its own generator, seeded by the network's seed and the link's id, so
        // the same links see the same delays in every run with that seed.
        int seed = unchecked((_network.Seed * 1_000_003) + (int)(Link.Id * 2));
        _sending = PumpAsync(_fromApplication.Reader, _client.Transport.Output, new Random(seed), _cut.Token);
        _receiving = PumpAsync(_client.Transport.Input, _toApplication.Writer, new Random(seed + 1), _stopReceiving.Token);
    }

    /// <summary>Cuts the connection (the first cut wins): with <paramref name="error"/> null both sides' input ends, as
    /// after a close; otherwise both sides' reads and writes fail with it, as after a reset. Either way both sides'
    /// <c>ConnectionClosed</c> fires.</summary>
    public void Cut(Exception? error)
    {
        if (Interlocked.Exchange(ref _cutOnce, 1) != 0)
            return;
        _cutError = error;
        _cut.Cancel();
        _server.OnCutByNetwork();
        FireClosed();
    }

    /// <summary>Sets the latency of each chunk from now on; null: none.</summary>
    public void SetDelay(InMemoryDelay? delay) => _delay = delay;

    /// <summary>Holds (or releases) the next chunk of each direction.</summary>
    public void SetPaused(bool paused)
    {
        if (paused)
            Interlocked.CompareExchange(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
        else
            Interlocked.Exchange(ref _paused, null)?.TrySetResult();
    }

    protected override void OnAbort(ConnectionAbortedException abortReason) => Cut(null);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Transport.Output.CompleteAsync().ConfigureAwait(false);
        await Transport.Input.CompleteAsync().ConfigureAwait(false);
        _stopReceiving.Cancel();
        await _receiving.ConfigureAwait(false);
        // The sending pump is not awaited: a paused link would hold the close until the host resumes.
        DisposeTokens();
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to, Random random, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                ReadResult read = await from.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                if (_delay is not null || Volatile.Read(ref _paused) is not null)
                    await HoldAsync(!buffer.IsEmpty, random, cancellationToken).ConfigureAwait(false);
                foreach (ReadOnlyMemory<byte> segment in buffer)
                    to.Write(segment.Span);
                from.AdvanceTo(buffer.End);
                _network.OnRelayed();
                FlushResult flushed = await to.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (read.IsCompleted || flushed.IsCompleted)
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException)
        {
            // Cut, or an end was completed under the pump: either way this direction is over.
        }
        Exception? error = _cutError;
        await from.CompleteAsync(error).ConfigureAwait(false);
        await to.CompleteAsync(error).ConfigureAwait(false);
        FireClosed();
        if (Interlocked.Decrement(ref _pumpsRunning) == 0)
        {
            _network.Forget(this);
            await _client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Holds one chunk for its delay, then for as long as the link is paused.</summary>
    private async ValueTask HoldAsync(bool hasBytes, Random random, CancellationToken cancellationToken)
    {
        TimeSpan delay = hasBytes && _delay is { } range ? range.Draw(random) : TimeSpan.Zero;
        // The timer starts before the chunk counts as held, so a test that sees it held and advances a fake clock
        // moves this timer too.
        Task delayed = delay > TimeSpan.Zero ? Task.Delay(delay, _network.TimeProvider, cancellationToken) : Task.CompletedTask;
        _network.OnHeld(1);
        try
        {
            await delayed.ConfigureAwait(false);
            while (Volatile.Read(ref _paused) is { } pause)
                await pause.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _network.OnHeld(-1);
        }
    }

    private sealed class RelayPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
