using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Diagnostics;

/// <summary>A temp directory, a fake clock, a capturing logger factory and a topic name of the test's own (the meter
/// and the activity source are process-wide, so measurements and spans are told apart by topic).</summary>
public abstract class DiagnosticsFixture : BrokerFixture
{
    internal CapturingLoggerFactory Logs { get; private set; } = null!;

    internal string Topic { get; private set; } = null!;

    [SetUp]
    public void SetUpFixture()
    {
        Logs = new CapturingLoggerFactory();
        Topic = "obs-" + Guid.NewGuid().ToString("N")[..8];
    }

    internal ValueTask<Broker> Open(string? path = null) => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = path ?? Dir.Path,
        TimeProvider = Time,
        LoggerFactory = Logs,
        RetentionCheckInterval = TimeSpan.FromDays(365),
    });
}
