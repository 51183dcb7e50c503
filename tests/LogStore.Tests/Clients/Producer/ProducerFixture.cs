using LogStore.Buffers;
using LogStore.Clients;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Clients.Producer;

/// <summary>A temp directory and a fake clock per test; time moves only when a test advances it.</summary>
public abstract class ProducerFixture
{
    /// <summary>How long a test waits for something that must happen, before failing instead of hanging.</summary>
    protected static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private TempDirectory _dir = null!;

    protected FakeTimeProvider Time { get; private set; } = null!;

    protected string DataDirectory => _dir.Path;

    [SetUp]
    public void SetUpDirectory()
    {
        _dir = new TempDirectory();
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
    }

    [TearDown]
    public void TearDownDirectory() => _dir.Dispose();

    protected ValueTask<Broker> Open(TimeProvider? time = null) =>
        Broker.OpenAsync(new BrokerOptions { DataDirectory = _dir.Path, TimeProvider = time ?? Time });

    /// <summary>The pool behind a producer, to see waiters and free memory.</summary>
    internal static BufferPool PoolOf<TKey, TValue>(IProducer<TKey, TValue> producer) => ((Producer<TKey, TValue>)producer).Pool;
}
