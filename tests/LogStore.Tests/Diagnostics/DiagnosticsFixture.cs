using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Diagnostics;

/// <summary>A temp directory, a fake clock, a capturing logger factory and a topic name of the test's own (the meter
/// and the activity source are process-wide, so measurements and spans are told apart by topic).</summary>
public abstract class DiagnosticsFixture
{
    internal TempDirectory Dir { get; private set; } = null!;

    internal FakeTimeProvider Time { get; private set; } = null!;

    internal CapturingLoggerFactory Logs { get; private set; } = null!;

    internal string Topic { get; private set; } = null!;

    [SetUp]
    public void SetUpFixture()
    {
        Dir = new TempDirectory();
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        Logs = new CapturingLoggerFactory();
        Topic = "obs-" + Guid.NewGuid().ToString("N")[..8];
    }

    [TearDown]
    public void TearDownFixture() => Dir.Dispose();

    internal ValueTask<Broker> Open(string? path = null) => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = path ?? Dir.Path,
        TimeProvider = Time,
        LoggerFactory = Logs,
        RetentionCheckInterval = TimeSpan.FromDays(365),
    });
}
