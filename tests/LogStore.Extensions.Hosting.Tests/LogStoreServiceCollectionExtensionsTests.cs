using LogStore.Extensions.Hosting.Tests.TestSupport;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogStore.Extensions.Hosting.Tests;

[TestFixture]
public sealed class LogStoreServiceCollectionExtensionsTests
{
    [Test]
    public async Task AddLogStore_HostStartsAndStops_OpensAndReleasesTheDataDirectory()
    {
        using var dir = new TempDirectory();
        var logs = new LogCapture();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path, logs, ("LogStore:DataDirectory", "data"));
        builder.Services.AddLogStore(builder.Configuration);
        IHost host = builder.Build();
        Broker broker;
        try
        {
            await host.StartAsync();
            broker = host.Services.GetRequiredService<Broker>();
            Assert.That(broker.DataDirectory, Is.EqualTo(dir.Combine("data")), "a relative directory is under the content root");
            Assert.ThrowsAsync<StoreLockedException>(async () => await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Combine("data") }));
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.Throws<ObjectDisposedException>(() => broker.CreateProducer<string, string>());
        Assert.That(File.Exists(dir.Combine("data", ".logstore_cleanshutdown")), "closed cleanly");
        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Combine("data") });
        Assert.That(logs.Has(6001) && logs.Has(6002), "the open and the close are logged through the host's logging");
    }

    [Test]
    public async Task AddLogStore_ConfigurationSection_BindsBrokerSettingsAndTopics()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path, null,
            ("LogStore:DataDirectory", dir.Combine("log")),
            ("LogStore:RetentionCheckInterval", "00:00:30"),
            ("LogStore:MaxOpenSegmentFiles", "64"),
            ("LogStore:DefaultTopicConfig:Partitions", "2"),
            ("LogStore:DefaultTopicConfig:SegmentBytes", "1048576"),
            ("LogStore:Topics:orders:Partitions", "3"),
            ("LogStore:Topics:orders:CleanupPolicy", "Compact"),
            ("LogStore:Topics:orders:MessageTimestampBeforeMax", "1.00:00:00"),
            ("LogStore:Topics:audit:RetentionTime", ""),
            ("LogStore:Topics:audit:MessageTimestampAfterMax", ""));
        builder.Services.AddLogStore(builder.Configuration);
        IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            LogStoreOptions options = host.Services.GetRequiredService<IOptions<LogStoreOptions>>().Value;
            Assert.That(options.RetentionCheckInterval, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.MaxOpenSegmentFiles, Is.EqualTo(64));
            Assert.That(options.FlushCheckInterval, Is.EqualTo(TimeSpan.FromSeconds(1)), "an unset key keeps the library's default");

            Broker broker = host.Services.GetRequiredService<Broker>();
            Assert.That(broker.TryGetTopic("orders", out Topic? orders));
            Assert.That(orders!.Partitions, Has.Count.EqualTo(3));
            Assert.That(orders.Config.CleanupPolicy, Is.EqualTo(CleanupPolicy.Compact));
            Assert.That(broker.TryGetTopic("audit", out Topic? audit));
            Assert.That(audit!.Config.RetentionTime, Is.Null, "an empty value is null: kept forever");
            Assert.That(orders.Config.MessageTimestampBeforeMax, Is.EqualTo(TimeSpan.FromDays(1)));
            Assert.That(audit.Config.MessageTimestampAfterMax, Is.Null, "an empty value is null: no bound");
            Topic other = await broker.CreateTopicAsync("other");
            Assert.That(other.Partitions, Has.Count.EqualTo(2));
            Assert.That(other.Config.SegmentBytes, Is.EqualTo(1 << 20));
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }
    }

    [Test]
    public void AddLogStore_UnknownConfigurationKey_FailsTheStartNamingIt()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path, null,
            ("LogStore:DataDirectory", "data"), ("LogStore:RetentionCheckIntervall", "00:01:00"));
        builder.Services.AddLogStore(builder.Configuration);
        using IHost host = builder.Build();

        var e = Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.That(e!.Message, Does.Contain("RetentionCheckIntervall"));
    }

    [Test]
    public void AddLogStore_NoDataDirectory_FailsTheStartSayingWhatToSet()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path);
        builder.Services.AddLogStore(builder.Configuration);
        using IHost host = builder.Build();

        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(e!.Message, Does.Contain("LogStore:DataDirectory"));
    }

    [Test]
    public async Task Broker_ResolvedBeforeTheHostStarts_IsOpenedOnceWithItsTopicsAndClosedAtStop()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Combine("data");
            o.Topics.Add("events", new TopicConfig { Partitions = 2 });
            o.Topics.Add("defaults", null);
        });
        IHost host = builder.Build();
        try
        {
            Broker early = host.Services.GetRequiredService<Broker>();
            Assert.That(early.TryGetTopic("events", out Topic? events) && events.Partitions.Count == 2);
            Assert.That(early.TryGetTopic("defaults", out _));

            await host.StartAsync();
            Assert.That(host.Services.GetRequiredService<Broker>(), Is.SameAs(early));
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }
        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Combine("data") });
    }

    [Test]
    public async Task Topics_ExistingTopicWithAnotherPartitionCount_IsKeptAndAWarningNamesBothCounts()
    {
        using var dir = new TempDirectory();
        await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path }))
            await broker.CreateTopicAsync("events", new TopicConfig { Partitions = 2 });
        var logs = new LogCapture();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path, logs);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.Topics.Add("events", new TopicConfig { Partitions = 6 });
        });
        IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            Assert.That(host.Services.GetRequiredService<Broker>().TryGetTopic("events", out Topic? events) && events.Partitions.Count == 2);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        (EventId _, LogLevel level, string message, _) = logs.Entries.Single(e => e.Id.Id == 6007);
        Assert.That((level, message), Is.EqualTo((LogLevel.Warning,
            "Topic events exists with 2 partitions; the 6 of LogStore:Topics are not applied (the host never changes an existing topic)")));
    }

    [Test]
    public void Topics_InvalidTopicConfig_FailsTheStartNamingTheTopic()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.Topics.Add("orders", new TopicConfig { Partitions = 0 });
        });
        using IHost host = builder.Build();

        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(e!.Message, Does.StartWith("LogStore:Topics:orders is invalid: "));
    }

    [Test]
    public async Task AddLogStoreProducer_RecordsNotYetFlushed_AreAppendedWhenTheHostStops()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.Topics.Add("events", null);
        });
        // A linger far beyond the test: only the flush at stop can append these records.
        builder.Services.AddLogStoreProducer<string, string>(o => o.Producer = new ProducerOptions { Linger = TimeSpan.FromHours(1) });
        IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            IProducer<string, string> producer = host.Services.GetRequiredService<IProducer<string, string>>();
            Assert.That(host.Services.GetRequiredService<IProducer<string, string>>(), Is.SameAs(producer), "a singleton");
            for (int i = 0; i < 10; i++)
                producer.Produce("events", new Message<string, string> { Key = "k", Value = $"v{i}" });
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path });
        Assert.That(reopened.TryGetTopic("events", out Topic? events));
        Assert.That(events!.Partitions[0].LogEndOffset, Is.EqualTo(10));
    }

    [Test]
    public async Task AddLogStoreConsumer_EachResolve_IsANewSubscribedConsumerClosedAtStop()
    {
        using var dir = new TempDirectory();
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.Topics.Add("events", null);
        });
        builder.Services.AddLogStoreProducer<string, string>();
        builder.Services.AddLogStoreConsumer<string, string>(o =>
        {
            o.Consumer = new ConsumerOptions { GroupId = "readers", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };
            o.Topics.Add("events");
        });
        IHost host = builder.Build();
        IConsumer<string, string> first;
        try
        {
            await host.StartAsync();
            first = host.Services.GetRequiredService<IConsumer<string, string>>();
            IConsumer<string, string> second = host.Services.GetRequiredService<IConsumer<string, string>>();
            Assert.That(second, Is.Not.SameAs(first));
            Assert.That(first.GroupId, Is.EqualTo("readers"));

            await host.Services.GetRequiredService<IProducer<string, string>>().ProduceAsync("events",
                new Message<string, string> { Key = "k", Value = "hello" });
            ConsumeResult<string, string>? result = await first.ConsumeAsync(TestHosts.Patience);
            Assert.That(result?.Message.Value, Is.EqualTo("hello"));
            first.Commit();
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await first.ConsumeAsync(TimeSpan.Zero));
        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path });
        await using IConsumer<string, string> check = reopened.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "readers" });
        Assert.That(check.Committed(new TopicPartition("events", 0)), Is.EqualTo(1));
    }

    [Test]
    public void AddLogStoreProducer_WithoutAddLogStore_SaysWhatIsMissing()
    {
        var services = new ServiceCollection();
        services.AddLogStoreProducer<string, string>();
        using ServiceProvider provider = services.BuildServiceProvider();

        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IProducer<string, string>>());
        Assert.That(e!.Message, Does.Contain("AddLogStore"));
    }

    [Test]
    public async Task AddLogStore_ContainerWithoutHost_ClosesTheBrokerWhenDisposed()
    {
        using var dir = new TempDirectory();
        var services = new ServiceCollection();
        services.AddLogStore(o => o.DataDirectory = dir.Path);
        await using (ServiceProvider provider = services.BuildServiceProvider())
            Assert.That(provider.GetRequiredService<Broker>().DataDirectory, Is.EqualTo(dir.Path));

        await using Broker reopened = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path });
    }
}
