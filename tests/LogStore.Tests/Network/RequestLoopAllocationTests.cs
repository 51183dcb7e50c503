using System.Buffers;
using System.IO.Pipelines;
using LogStore.Network;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;

namespace LogStore.Tests.Network;

/// <summary>
/// The connection's request loop allocates nothing per request once warm (pooled pipe segments, pooled async state
/// machines, one idle timer per connection re-armed in place): measured over the in-memory transport with a handler
/// that answers nothing, so only the loop's own costs count. The whole process is measured (the loop runs on pool
/// threads), so the bound leaves room for the client's costs per batch and the runner's background noise. In a Debug
/// build every async call allocates its state machine, so this also holds the loop to its synchronous fast path.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RequestLoopAllocationTests
{
    private const int Requests = 20_000;
    private const int Batch = 500;   // the client's own costs, and the marker's response, come once per batch

    [Test]
    public async Task RequestLoop_AllocatesNothingPerRequest()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var handler = new CountingHandler();
        await using ListenerHarness harness = await ListenerHarness.StartAsync(TransportKind.InMemory, handler, new CapturingLoggerFactory(), cancellationToken: timeout.Token);
        await using TestClient client = await harness.ConnectAsync(timeout.Token);
        byte[] request = TestClient.Request(TestRequestHandler.NoResponse, 1, new byte[100]);
        byte[] batch = [.. Enumerable.Range(0, Batch).SelectMany(_ => request), .. TestClient.Request(TestRequestHandler.Echo, 2)];
        await RunAsync(client, batch, Requests, timeout.Token);   // warm up: pools, JIT, tiering

        // The fewest of three windows: another thread of the test host may allocate during one.
        long allocated = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await RunAsync(client, batch, Requests, timeout.Token);
            allocated = Math.Min(allocated, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        TestContext.Out.WriteLine($"{Requests} requests: {allocated} bytes allocated in the process, {(double)allocated / Requests:F2} per request");
        Assert.That((double)allocated / Requests, Is.LessThan(8), "the request loop allocates per request");
    }

    /// <summary>Sends <paramref name="count"/> requests in batches of <see cref="Batch"/>, each closed by one answered marker.</summary>
    private static async Task RunAsync(TestClient client, byte[] batch, int count, CancellationToken cancellationToken)
    {
        for (int sent = 0; sent < count; sent += Batch)
        {
            await client.SendAsync(batch, cancellationToken);
            await client.ReadResponseAsync(cancellationToken);
        }
    }

    /// <summary>Answers nothing, except one canned response per marker request (api key 0).</summary>
    private sealed class CountingHandler : IKafkaRequestHandler
    {
        public ValueTask<ResponseFrame?> HandleAsync(ReadOnlySequence<byte> request, KafkaConnectionInfo connection, CancellationToken cancellationToken)
        {
            if (request.FirstSpan[1] != TestRequestHandler.Echo)
                return ValueTask.FromResult<ResponseFrame?>(null);
            var response = new ResponseFrame();
            response.Write<byte>([0, 0, 0, 2]);
            return ValueTask.FromResult<ResponseFrame?>(response);
        }
    }
}
