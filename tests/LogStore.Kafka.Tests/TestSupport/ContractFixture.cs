using System.Net;
using LogStore.Tests.TestSupport;

namespace LogStore.Kafka.Tests.TestSupport;

/// <summary>
/// The base of the contract suite: every test runs twice, against the embedded <see cref="Broker"/> and against
/// <see cref="KafkaClientSupplier"/> talking to the same broker's Kafka listener (127.0.0.1, an OS-picked port). Tests
/// use only <see cref="Clients"/>, so whatever passes in both modes is code that moves to a cluster unchanged.
/// </summary>
/// <remarks>Client timeouts are a few seconds so that a hang fails fast; every wait is bounded by <see cref="Deadline"/>.</remarks>
public abstract class ContractFixture(ClientMode mode)
{
    /// <summary>How long one test may wait in all.</summary>
    protected static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private TempDirectory _dir = null!;
    private CancellationTokenSource _deadline = null!;

    protected ClientMode Mode { get; } = mode;

    /// <summary>The broker behind both modes (for setup and checks only: the code under test uses <see cref="Clients"/>).</summary>
    protected Broker Broker { get; private set; } = null!;

    /// <summary>The supplier under test.</summary>
    protected IClientSupplier Clients { get; private set; } = null!;

    /// <summary>Cancelled when the test has run for <see cref="TestTimeout"/>.</summary>
    protected CancellationToken Deadline => _deadline.Token;

    /// <summary>Group settings short enough for rebalances within a test, the same in both modes.</summary>
    protected static ConsumerOptions GroupOptions(string groupId, bool autoCommit = false,
        PartitionAssignmentStrategy strategy = PartitionAssignmentStrategy.Range) => new()
    {
        GroupId = groupId,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = autoCommit,
        SessionTimeout = TimeSpan.FromSeconds(6),
        HeartbeatInterval = TimeSpan.FromMilliseconds(300),
        PartitionAssignmentStrategy = strategy,
    };

    [SetUp]
    public async Task OpenClients()
    {
        _dir = new TempDirectory();
        _deadline = new CancellationTokenSource(TestTimeout);
        Broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = _dir.Path,
            // A cluster with auto.create.topics.enable=false, as production clusters usually are: the embedded store
            // never creates a topic by using it either.
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), AutoCreateTopics = false },
        });
        Clients = Mode == ClientMode.Embedded ? Broker : new KafkaClientSupplier(new KafkaClientSupplierOptions
        {
            BootstrapServers = Broker.KafkaEndpoint!.ToString(),
            RequestTimeout = TimeSpan.FromSeconds(5),
            Config = new Dictionary<string, string>
            {
                // Fail a message to an unknown topic after a second, not librdkafka's 30 s.
                ["topic.metadata.propagation.max.ms"] = "1000",
                ["socket.timeout.ms"] = "5000",
            },
        });
    }

    [TearDown]
    public async Task CloseClients()
    {
        if (Mode == ClientMode.Kafka)
            await Clients.DisposeAsync();
        await Broker.DisposeAsync();
        _deadline.Dispose();
        _dir.Dispose();
    }

    /// <summary>Creates a topic through the supplier under test.</summary>
    protected async Task CreateTopic(string name, int partitions = 1, int? maxMessageBytes = null) =>
        await Clients.CreateTopicAsync(name, new TopicConfig { Partitions = partitions, MaxMessageBytes = maxMessageBytes ?? new TopicConfig().MaxMessageBytes }, Deadline);

    /// <summary>Consumes until <paramref name="count"/> records came, failing at the deadline.</summary>
    protected async Task<List<ConsumeResult<TKey, TValue>>> ConsumeCount<TKey, TValue>(IConsumer<TKey, TValue> consumer, int count)
    {
        var results = new List<ConsumeResult<TKey, TValue>>();
        while (results.Count < count)
        {
            if (Deadline.IsCancellationRequested)
                Assert.Fail($"{Mode}: {results.Count} of {count} records consumed before the deadline");
            if (await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(200), Deadline) is { } result)
                results.Add(result);
        }
        return results;
    }

    /// <summary>Polls every consumer in turn (group protocol work happens inside ConsumeAsync) until
    /// <paramref name="done"/>, failing at the deadline with <paramref name="progress"/>.</summary>
    protected async Task PollUntil<TKey, TValue>(IReadOnlyList<IConsumer<TKey, TValue>> consumers, Func<bool> done, Func<string> progress,
        Action<ConsumeResult<TKey, TValue>>? onRecord = null)
    {
        while (!done())
        {
            if (Deadline.IsCancellationRequested)
                Assert.Fail($"{Mode}: timed out: {progress()}");
            foreach (IConsumer<TKey, TValue> consumer in consumers)
            {
                if (await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(50), Deadline) is { } result)
                    onRecord?.Invoke(result);
            }
        }
    }
}
