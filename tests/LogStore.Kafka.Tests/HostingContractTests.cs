using System.Collections.Concurrent;
using LogStore.Extensions.Hosting;
using LogStore.Kafka.Tests.TestSupport;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LogStore.Kafka.Tests;

/// <summary>The hosting switch: the same producer registration and consumer worker run on <c>AddLogStore</c> and on
/// <c>AddLogStoreKafka</c> (bound from the "LogStore:Kafka" section), only the one line differing.</summary>
[TestFixture(ClientMode.Embedded)]
[TestFixture(ClientMode.Kafka)]
[NonParallelizable]
public sealed class HostingContractTests(ClientMode mode) : ContractFixture(mode)
{
    [Test]
    public async Task Host_ProducerAndWorker_RunUnchangedOnEitherStore()
    {
        using var hostDirectory = new TempDirectory();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (Mode == ClientMode.Embedded)
        {
            builder.Services.AddLogStore(o =>
            {
                o.DataDirectory = hostDirectory.Path;
                o.Topics["orders"] = new TopicConfig { Partitions = 2 };
            });
        }
        else
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["LogStore:Kafka:BootstrapServers"] = Broker.KafkaEndpoint!.ToString(),
                ["LogStore:Kafka:RequestTimeout"] = "00:00:05",
                ["LogStore:Kafka:Config:socket.timeout.ms"] = "5000",
                ["LogStore:Kafka:Topics:orders:Partitions"] = "2",
            });
            builder.Services.AddLogStoreKafka(builder.Configuration);
        }
        // Everything below is the application, the same in both modes.
        builder.Services.AddSingleton<Received>();
        builder.Services.AddLogStoreProducer<string, string>();
        builder.Services.AddHostedService<OrderWorker>();

        using IHost host = builder.Build();
        await host.StartAsync(Deadline);
        IProducer<string, string> producer = host.Services.GetRequiredService<IProducer<string, string>>();
        for (int i = 0; i < 6; i++)
            await producer.ProduceAsync("orders", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" }, Deadline);
        Received received = host.Services.GetRequiredService<Received>();
        while (received.Values.Count < 6)
        {
            if (Deadline.IsCancellationRequested)
                Assert.Fail($"{Mode}: the worker received {received.Values.Count} of 6");
            await Task.Delay(20, CancellationToken.None);
        }
        IClientSupplier clients = host.Services.GetRequiredService<IClientSupplier>();
        ConsumerGroupDescription group = await clients.DescribeConsumerGroupAsync("order-workers", Deadline);
        if (Mode == ClientMode.Kafka)
        {
            Assert.That(Broker.TryGetTopic("orders", out Topic? topic) && topic.Partitions.Count == 2, "LogStore:Kafka:Topics created the topic");
            var e = Assert.Throws<NotSupportedException>(() => host.Services.GetRequiredService<Broker>());
            Assert.That(e!.Message, Does.Contain("IClientSupplier"));
        }
        await host.StopAsync(Deadline);

        Assert.That(received.Values.Keys.Order(), Is.EqualTo(Enumerable.Range(0, 6).Select(i => $"v{i}")));
        Assert.That(group.Members, Has.Count.EqualTo(1), "the worker was a member of its group");
    }

    [Test]
    public void AddLogStoreKafka_AfterAddLogStore_ThrowsInvalidOperation()
    {
        var services = new ServiceCollection();
        services.AddLogStore(o => o.DataDirectory = "unused");
        Assert.Throws<InvalidOperationException>(() => services.AddLogStoreKafka(o => o.BootstrapServers = "localhost:9092"));
    }

    /// <summary>What the worker handled, by value.</summary>
    public sealed class Received
    {
        public ConcurrentDictionary<string, int> Values { get; } = new();
    }

    /// <summary>An application's worker: it takes IClientSupplier, so it does not know which store it runs on.</summary>
    public sealed class OrderWorker(IClientSupplier clients, Received received) : LogStoreConsumerService<string, string>(clients, new()
    {
        Consumer = GroupOptions("order-workers"),
        Topics = { "orders" },
    })
    {
        protected override ValueTask HandleAsync(ConsumeResult<string, string> result, CancellationToken cancellationToken)
        {
            received.Values.TryAdd(result.Message.Value, result.Partition);
            return ValueTask.CompletedTask;
        }
    }
}
