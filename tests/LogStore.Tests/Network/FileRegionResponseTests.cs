using System.Diagnostics.Metrics;
using LogStore.Protocol;
using LogStore.Tests.Diagnostics;
using LogStore.Tests.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.Network;

/// <summary>
/// A response carrying a file region (what Fetch's records will be) arrives byte-exact between the bytes around it: by
/// <c>sendfile</c> on plain TCP, where the transport's counter grows by the region's length; copied through the pipe in
/// memory and over TLS, where it does not.
/// </summary>
[TestFixture(TransportKind.InMemory)]
[TestFixture(TransportKind.Tcp4)]
[TestFixture(TransportKind.Tcp6)]
[TestFixture(TransportKind.TlsOverTcp4)]
public sealed class FileRegionResponseTests(TransportKind kind)
{
    private const int Seed = 2718;
    private const int FileLength = 1 << 20;

    [Test]
    public async Task FileRegion_IsReceivedByteExact_BySendfileOnlyOverPlainTcp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var dir = new TempDirectory();
        byte[] content = new byte[FileLength];
        new Random(Seed).NextBytes(content);
        string path = dir.Combine("00000000000000000000.log");
        await File.WriteAllBytesAsync(path, content, timeout.Token);
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.Asynchronous);
        const int Position = 12345;
        const int Length = 700_001;   // several chunks when copied, one sendfile when not
        int leases = 0;
        var handler = new TestRequestHandler
        {
            FileRegionFactory = () => new FileRegion(file, Position, Length, new Lease(() => Interlocked.Increment(ref leases))),
        };
        var logs = new CapturingLoggerFactory();
        await using ListenerHarness harness = await ListenerHarness.StartAsync(kind, handler, logs, cancellationToken: timeout.Token);
        await using TestClient client = await harness.ConnectAsync(timeout.Token);
        long sentBefore = harness.SendFileBytes;
        long metric = 0;
        using var meter = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "logstore.network.sendfile.bytes")
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref metric, value));
        meter.Start();

        await client.SendAsync(TestClient.Request(TestRequestHandler.File, 9), timeout.Token);
        byte[] response = await client.ReadResponseAsync(timeout.Token);
        await client.SendAsync(TestClient.Request(TestRequestHandler.Echo, 10), timeout.Token);
        byte[] next = await client.ReadResponseAsync(timeout.Token);

        byte[] expected = [0, 0, 0, 9, .. TestRequestHandler.Header, .. content.AsSpan(Position, Length), .. TestRequestHandler.Trailer];
        Assert.That(response.Length, Is.EqualTo(expected.Length));
        Assert.That(response.AsSpan().SequenceEqual(expected), Is.True, $"the response differs from header + file bytes + trailer (seed {Seed})");
        Assert.That(TestClient.CorrelationId(next), Is.EqualTo(10), "bytes after the file region went astray");
        long bySendfile = harness.SendFileBytes - sentBefore;
        bool plainTcp = kind is TransportKind.Tcp4 or TransportKind.Tcp6;
        Assert.That(bySendfile, Is.EqualTo(plainTcp ? Length : 0));
        Assert.That(Interlocked.Read(ref metric), Is.EqualTo(bySendfile), "logstore.network.sendfile.bytes disagrees with the transport's counter");
        Assert.That(Volatile.Read(ref leases), Is.EqualTo(1), "the file region's lease was not released after the response");
    }

    private sealed class Lease(Action released) : IDisposable
    {
        public void Dispose() => released();
    }
}
