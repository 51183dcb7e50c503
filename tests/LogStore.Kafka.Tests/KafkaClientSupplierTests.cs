namespace LogStore.Kafka.Tests;

/// <summary>KafkaClientSupplier's checks before anything connects.</summary>
[TestFixture]
public sealed class KafkaClientSupplierTests
{
    [TestCase("")]
    [TestCase("  ")]
    public void Constructor_NoBootstrapServers_ThrowsArgumentException(string bootstrap) =>
        Assert.Throws<ArgumentException>(() => _ = new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = bootstrap }));

    [Test]
    public void Constructor_ZeroRequestTimeout_ThrowsArgumentOutOfRange() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new KafkaClientSupplier(new KafkaClientSupplierOptions
        {
            BootstrapServers = "127.0.0.1:1",
            RequestTimeout = TimeSpan.Zero,
        }));

    [Test]
    public async Task CreateProducer_TypeWithoutSerializer_ThrowsArgumentExceptionNamingIt()
    {
        await using var supplier = new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = "127.0.0.1:1" });
        var e = Assert.Throws<ArgumentException>(() => supplier.CreateProducer<Guid, string>());
        Assert.That(e!.ParamName, Is.EqualTo("keySerializer"));
    }

    [Test]
    public async Task CreateConsumer_BadOptions_ThrowsArgumentOutOfRange()
    {
        await using var supplier = new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = "127.0.0.1:1" });
        Assert.Throws<ArgumentOutOfRangeException>(() => supplier.CreateConsumer<string, string>(new ConsumerOptions { MaxPollRecords = 0 }));
    }

    [Test]
    public async Task CreateProducer_AfterDispose_ThrowsObjectDisposed()
    {
        var supplier = new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = "127.0.0.1:1" });
        await supplier.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => supplier.CreateProducer<string, string>());
    }
}
