using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using LogStore.Network.Transport;
using LogStore.Tests.Network;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Tests.Cluster.PeerFuzz;

/// <summary>What a run of <see cref="HostilePeer"/> did.</summary>
internal sealed class PeerFuzzFigures
{
    private long _generated;
    private long _sent;
    private long _answered;
    private long _silent;
    private long _closed;
    private long _connections;

    public long Generated => Interlocked.Read(ref _generated);

    /// <summary>Frames the node's loop read (a send may hold several, or end inside one).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public long Answered => Interlocked.Read(ref _answered);

    public long Silent => Interlocked.Read(ref _silent);

    public long Closed => Interlocked.Read(ref _closed);

    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Sends not made because they could change the cluster legitimately, by reason.</summary>
    public ConcurrentDictionary<string, long> Skipped { get; } = new();

    public TimeSpan Elapsed { get; set; }

    /// <summary>The process's CPU time over the run (nodes and peer together): on a shared, loaded machine a better
    /// measure of the cost than <see cref="Elapsed"/>.</summary>
    public TimeSpan ProcessorTime { get; set; }

    internal void OnGenerated() => Interlocked.Increment(ref _generated);

    internal void OnFrame(PeerExpectation expectation)
    {
        Interlocked.Increment(ref _sent);
        if (expectation == PeerExpectation.Answer)
            Interlocked.Increment(ref _answered);
        else if (expectation == PeerExpectation.Silent)
            Interlocked.Increment(ref _silent);
        else
            Interlocked.Increment(ref _closed);
    }

    internal void OnCutMidFrame() => Interlocked.Increment(ref _closed);

    internal void OnConnected() => Interlocked.Increment(ref _connections);

    internal void OnSkipped(string reason) => Skipped.AddOrUpdate(Generalize(reason), 1, static (_, n) => n + 1);

    public override string ToString() =>
        $"{Generated - Skipped.Values.Sum():N0} hostile sends ({Generated:N0} generated), {Sent:N0} frames read whole by the nodes in {Elapsed.TotalSeconds:F1} s ({(Generated - Skipped.Values.Sum()) / Math.Max(0.001, Elapsed.TotalSeconds):N0}/s), {ProcessorTime.TotalSeconds:F1} s of CPU: " +
        $"{Answered:N0} answered, {Silent:N0} unanswered (acks 0), {Closed:N0} closed the connection; {Connections:N0} connections; " +
        $"not sent: {string.Join(", ", Skipped.OrderByDescending(p => p.Value).Select(p => $"{p.Value:N0} {p.Key}"))}";

    // Reasons name ids and waits; the figures count kinds.
    private static string Generalize(string reason) => new(reason.Where(c => !char.IsAsciiDigit(c) && c != '-').ToArray());
}

/// <summary>
/// A hostile peer: several connections from outside every node, each sending seeded frames of
/// <see cref="PeerFrames"/>, mutated by <see cref="PeerMutations"/> (one in eight left whole), to one node, and checking
/// each against what <see cref="PeerFrameClassifier"/> says the node must do: answer with the frame's correlation id,
/// stay silent, or close that connection. A connection left inside a frame is closed by the peer, which the node
/// must answer by closing too. Every read is bounded; a broken expectation throws with the seed, peer and frame
/// number that reproduce it and the frame's bytes.
/// </summary>
internal static class HostilePeer
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    public static async Task<PeerFuzzFigures> RunAsync(InMemoryNetwork network, IReadOnlyList<EndPoint> targets, Func<PeerFrames> frames,
        PeerFrameClassifier classifier, long sends, int seed, int peers, CancellationToken cancellationToken)
    {
        var figures = new PeerFuzzFigures();
        var clock = Stopwatch.StartNew();
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await Task.WhenAll(Enumerable.Range(0, peers).Select(peer => Task.Run(() => RunPeerAsync(network, targets[peer % targets.Count], frames(),
            classifier, sends / peers + (peer < sends % peers ? 1 : 0), seed, peer, figures, cancellationToken), cancellationToken)));
        figures.Elapsed = clock.Elapsed;
        figures.ProcessorTime = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return figures;
    }

    private static async Task RunPeerAsync(InMemoryNetwork network, EndPoint target, PeerFrames frames, PeerFrameClassifier classifier, long sends,
        int seed, int peer, PeerFuzzFigures figures, CancellationToken cancellationToken)
    {
        var random = new Random(HashCode.Combine(seed, peer));
        Connection? connection = null;
        try
        {
            // Sends that are not made do not count; the bound on attempts keeps the loop finite whatever the classifier says.
            long made = 0;
            for (long i = 0; made < sends && i < 2 * sends; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                byte[] bytes = frames.Next(random);
                if (random.Next(8) != 0)
                    bytes = PeerMutations.Mutate(bytes, random);
                figures.OnGenerated();
                PeerSend send = classifier.Classify(bytes);
                if (send.WouldChange is { } reason)
                {
                    figures.OnSkipped(reason);
                    continue;
                }
                made++;
                connection ??= await Connection.OpenAsync(network, target, figures, cancellationToken);
                try
                {
                    if (!await connection.ExchangeAsync(bytes, send, figures, cancellationToken))
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    throw new InvalidOperationException(
                        $"Peer fuzz send {i} of peer {peer} to {target}, seed {seed}: {e.Message}\n" +
                        $"frames: {string.Join("; ", send.Frames.Select(f => $"{f.What} -> {f.Expectation} #{f.CorrelationId}"))}" +
                        $"{(send.EndsMidFrame ? "; ends inside a frame" : "")}\nbytes: {Convert.ToHexString(bytes)}", e);
                }
            }
        }
        finally
        {
            if (connection is not null)
                await connection.DisposeAsync();
        }
    }

    private sealed class Connection(ConnectionContext context) : IAsyncDisposable
    {
        private readonly IDuplexPipe _pipe = context.Transport;
        private readonly TestClient _client = new(context.Transport);

        public static async Task<Connection> OpenAsync(InMemoryNetwork network, EndPoint target, PeerFuzzFigures figures, CancellationToken cancellationToken)
        {
            figures.OnConnected();
            return new Connection(await network.ConnectAsync(target, cancellationToken));
        }

        /// <summary>Sends the bytes and checks the node's answers; false when the connection is closed.</summary>
        public async Task<bool> ExchangeAsync(byte[] bytes, PeerSend send, PeerFuzzFigures figures, CancellationToken cancellationToken)
        {
            FlushResult flushed = await _pipe.Output.WriteAsync(bytes, cancellationToken);
            if (flushed.IsCompleted)
                throw new InvalidOperationException("the node stopped reading before this send");
            foreach ((PeerExpectation expectation, int correlationId, string what) in send.Frames)
            {
                figures.OnFrame(expectation);
                switch (expectation)
                {
                    case PeerExpectation.Answer:
                        byte[] response = await ReadAsync(cancellationToken)
                            ?? throw new InvalidOperationException($"the node closed the connection instead of answering {what}");
                        if (TestClient.CorrelationId(response) != correlationId)
                            throw new InvalidOperationException($"{what} #{correlationId} was answered as #{TestClient.CorrelationId(response)}");
                        break;
                    case PeerExpectation.Close:
                        if (await ReadAsync(cancellationToken) is { } unexpected)
                            throw new InvalidOperationException($"the node answered #{TestClient.CorrelationId(unexpected)} where it should have closed ({what})");
                        return false;
                }
            }
            if (!send.EndsMidFrame)
                return true;
            // The node waits for the rest of the frame: the peer gives up, and the node must close too, unanswered.
            await _pipe.Output.CompleteAsync();
            figures.OnCutMidFrame();
            if (await ReadAsync(cancellationToken) is { } late)
                throw new InvalidOperationException($"the node answered #{TestClient.CorrelationId(late)} to a frame cut short");
            return false;
        }

        private async Task<byte[]?> ReadAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReadTimeout);
            try
            {
                return await _client.TryReadResponseAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the node neither answered nor closed in {ReadTimeout.TotalSeconds} s");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisposeAsync();
            await context.DisposeAsync();
        }
    }
}
