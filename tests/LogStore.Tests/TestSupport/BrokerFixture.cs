using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.TestSupport;

/// <summary>What most broker fixtures share: a temp directory per test, deleted after it, and a fake clock starting at
/// <see cref="Batches.BaseTime"/>.</summary>
public abstract class BrokerFixture
{
    internal TempDirectory Dir { get; private set; } = null!;

    internal FakeTimeProvider Time { get; private set; } = null!;

    [SetUp]
    public void SetUpDirectoryAndClock()
    {
        Dir = new TempDirectory();
        Time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
    }

    [TearDown]
    public void TearDownDirectory() => Dir.Dispose();
}
