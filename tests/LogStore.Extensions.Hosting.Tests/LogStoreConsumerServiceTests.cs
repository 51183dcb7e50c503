using LogStore.Extensions.Hosting.Tests.TestSupport;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LogStore.Extensions.Hosting.Tests;

[TestFixture]
public sealed class LogStoreConsumerServiceTests
{
    private const string Group = "workers";

    [Test]
    public async Task ConsumerService_RecordsProduced_AreHandledOnceAndCommitted()
    {
        using var dir = new TempDirectory();
        var recorder = new Recorder { Options = Options() };
        IHost host = await StartHostAsync(dir, recorder, partitions: 3);
        try
        {
            IProducer<string, string> producer = host.Services.GetRequiredService<IProducer<string, string>>();
            for (int i = 0; i < 30; i++)
                producer.Produce("orders", new Message<string, string> { Key = $"customer-{i % 7}", Value = $"order-{i}" });
            await producer.FlushAsync();
            await recorder.WaitForAsync(30);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.That(recorder.Seen.Select(r => r.Message.Value), Is.EquivalentTo(Enumerable.Range(0, 30).Select(i => $"order-{i}")));
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path });
        await using IConsumer<string, string> check = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        broker.TryGetTopic("orders", out Topic? orders);
        foreach (Partition partition in orders!.Partitions)
            Assert.That(check.Committed(partition.Id), Is.EqualTo(partition.LogEndOffset), $"{partition.Id} committed to its end");
    }

    [Test]
    public async Task ConsumerService_HostRestarted_ResumesAfterTheCommittedOffset()
    {
        using var dir = new TempDirectory();
        var first = new Recorder { Options = Options() };
        IHost host = await StartHostAsync(dir, first);
        try
        {
            await ProduceAsync(host, "a", "b", "c", "d", "e");
            await first.WaitForAsync(5);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        var second = new Recorder { Options = Options() };
        host = await StartHostAsync(dir, second);
        try
        {
            await ProduceAsync(host, "f", "g", "h");
            await second.WaitForAsync(3);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.That(first.Seen.Select(r => r.Offset), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(second.Seen.Select(r => r.Offset), Is.EqualTo(new long[] { 5, 6, 7 }), "nothing handled twice");
        Assert.That(second.Seen.Select(r => r.Message.Value), Is.EqualTo(new[] { "f", "g", "h" }));
    }

    [Test]
    public async Task ConsumerService_HandlerThrows_LogsSkipsAndCommitsPastTheRecord()
    {
        using var dir = new TempDirectory();
        var logs = new LogCapture();
        var recorder = new Recorder { Options = Options(), OnRecord = FailOn("bad") };
        IHost host = await StartHostAsync(dir, recorder, logs: logs);
        try
        {
            await ProduceAsync(host, "a", "bad", "c");
            await recorder.WaitForAsync(3);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.That(recorder.Seen.Select(r => r.Message.Value), Is.EqualTo(new[] { "a", "bad", "c" }));
        (EventId _, _, string message, Exception? exception) = logs.Entries.Single(e => e.Id.Id == 6005);
        Assert.That(message, Does.Contain("offset 1"));
        Assert.That(exception, Is.TypeOf<FormatException>());
        Assert.That(await CommittedAsync(dir), Is.EqualTo(3));
    }

    [Test]
    public async Task ConsumerService_HandlerThrowsWithStop_StopsTheHostAndLeavesTheRecordUncommitted()
    {
        using var dir = new TempDirectory();
        LogStoreConsumerServiceOptions<string, string> options = Options();
        options.OnHandlerError = HandlerErrorBehavior.Stop;
        var recorder = new Recorder { Options = options, OnRecord = FailOn("bad") };
        // Auto-commit stays on: the commit made when the consumer leaves its group must not cover the failed record.
        IHost host = await StartHostAsync(dir, recorder);
        try
        {
            await ProduceAsync(host, "a", "bad", "c");
            await host.WaitForShutdownAsync().WaitAsync(TestHosts.Patience);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.That(recorder.Seen.Select(r => r.Message.Value), Is.EqualTo(new[] { "a", "bad" }), "nothing after the failure");
        Assert.That(await CommittedAsync(dir), Is.EqualTo(1), "the failed record is delivered again after a restart");
    }

    [Test]
    public async Task ConsumerService_HostStopsWhileHandling_LeavesThatRecordUncommitted()
    {
        using var dir = new TempDirectory();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorder = new Recorder
        {
            Options = Options(),
            OnRecord = async (result, cancellationToken) =>
            {
                if (result.Message.Value != "slow")
                    return;
                entered.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            },
        };
        IHost host = await StartHostAsync(dir, recorder);
        try
        {
            await ProduceAsync(host, "a", "slow", "c");
            await entered.Task.WaitAsync(TestHosts.Patience);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.That(recorder.Seen.Select(r => r.Message.Value), Is.EqualTo(new[] { "a", "slow" }));
        Assert.That(await CommittedAsync(dir), Is.EqualTo(1));
    }

    [Test]
    public async Task ConsumerService_ValueCannotBeDeserialized_IsLoggedAndSkippedWithItsOffset()
    {
        using var dir = new TempDirectory();
        var logs = new LogCapture();
        var handled = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path, logs);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.Topics.Add("numbers", null);
        });
        builder.Services.AddLogStoreProducer<Null, byte[]>();
        builder.Services.AddHostedService(sp => new NumberWorker(sp.GetRequiredService<Broker>(),
            sp.GetRequiredService<ILogger<NumberWorker>>(), value =>
            {
                handled.Add(value);
                if (value == 7)
                    done.TrySetResult();
            }));
        IHost host = builder.Build();
        try
        {
            await host.StartAsync();
            IProducer<Null, byte[]> producer = host.Services.GetRequiredService<IProducer<Null, byte[]>>();
            await producer.ProduceAsync("numbers", new Message<Null, byte[]> { Value = [1, 2] });
            await producer.ProduceAsync("numbers", new Message<Null, byte[]> { Value = [0, 0, 0, 7] });
            await done.Task.WaitAsync(TestHosts.Patience);
        }
        finally
        {
            await host.StopAndDisposeAsync();
        }

        Assert.That(handled, Is.EqualTo(new[] { 7 }));
        Assert.That(logs.Entries.Single(e => e.Id.Id == 6005).Message, Does.Contain("numbers-0").And.Contain("offset 0"));
    }

    [Test]
    public async Task ConsumerService_WithoutGroupOrTopic_FailsAtConstruction()
    {
        using var dir = new TempDirectory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path });
        var noGroup = new LogStoreConsumerServiceOptions<string, string>();
        noGroup.Topics.Add("orders");
        var noTopic = new LogStoreConsumerServiceOptions<string, string> { Consumer = new ConsumerOptions { GroupId = Group } };

        Assert.That(() => new RecordingWorker(broker, new Recorder { Options = noGroup }, NullLogger()),
            Throws.ArgumentException.With.Message.Contains("GroupId"));
        Assert.That(() => new RecordingWorker(broker, new Recorder { Options = noTopic }, NullLogger()),
            Throws.ArgumentException.With.Message.Contains("Topics"));
    }

    private static ILogger<RecordingWorker> NullLogger() =>
        Microsoft.Extensions.Logging.Abstractions.NullLogger<RecordingWorker>.Instance;

    private static LogStoreConsumerServiceOptions<string, string> Options()
    {
        var options = new LogStoreConsumerServiceOptions<string, string>
        {
            Consumer = new ConsumerOptions { GroupId = Group, AutoOffsetReset = AutoOffsetReset.Earliest },
        };
        options.Topics.Add("orders");
        return options;
    }

    private static Func<ConsumeResult<string, string>, CancellationToken, ValueTask> FailOn(string value) =>
        (result, _) => result.Message.Value == value ? throw new FormatException($"cannot handle {value}") : ValueTask.CompletedTask;

    private static async Task<IHost> StartHostAsync(TempDirectory dir, Recorder recorder, int partitions = 1, LogCapture? logs = null)
    {
        HostApplicationBuilder builder = TestHosts.NewBuilder(dir.Path, logs);
        builder.Services.AddLogStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.Topics.Add("orders", new TopicConfig { Partitions = partitions });
        });
        builder.Services.AddLogStoreProducer<string, string>(o => o.Producer = new ProducerOptions { Linger = TimeSpan.Zero });
        builder.Services.AddSingleton(recorder);
        builder.Services.AddHostedService<RecordingWorker>();
        IHost host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task ProduceAsync(IHost host, params string[] values)
    {
        IProducer<string, string> producer = host.Services.GetRequiredService<IProducer<string, string>>();
        foreach (string value in values)
            await producer.ProduceAsync("orders", new Message<string, string> { Key = "k", Value = value });
    }

    private static async Task<long?> CommittedAsync(TempDirectory dir)
    {
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path });
        await using IConsumer<string, string> check = broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = Group });
        return check.Committed(new TopicPartition("orders", 0));
    }

    /// <summary>A service reading big-endian ints with the built-in deserializer, which rejects a value of another size.</summary>
    private sealed class NumberWorker(Broker broker, ILogger logger, Action<int> onValue)
        : LogStoreConsumerService<Null, int>(broker, NumberOptions(), logger)
    {
        protected override ValueTask HandleAsync(ConsumeResult<Null, int> result, CancellationToken cancellationToken)
        {
            onValue(result.Message.Value);
            return ValueTask.CompletedTask;
        }

        private static LogStoreConsumerServiceOptions<Null, int> NumberOptions()
        {
            var options = new LogStoreConsumerServiceOptions<Null, int>
            {
                Consumer = new ConsumerOptions { GroupId = "numbers", AutoOffsetReset = AutoOffsetReset.Earliest },
            };
            options.Topics.Add("numbers");
            return options;
        }
    }
}
