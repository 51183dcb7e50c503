using LogStore.CrashHost;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The live store of <see cref="PowerLossRun"/>: a Broker on a <see cref="PowerLossFileSystem"/> in a directory of its
/// own, with the crash topic's partition and the case's producer or committing consumer. When the loop lets a power
/// loss really happen, the store is dropped and a new one opens on an image of it (<see cref="RecoverFromAsync"/>), so
/// what recovery created, cut or deleted meets the next power loss too.
/// </summary>
internal sealed class PowerLossStore : IAsyncDisposable
{
    private PowerLossStore(TempDirectory directory, PowerLossFileSystem files, Broker broker, Partition partition,
        IProducer<string, string>? producer, IConsumer<string, string>? committer)
    {
        Directory = directory;
        Files = files;
        Broker = broker;
        Partition = partition;
        Producer = producer;
        Committer = committer;
    }

    public TempDirectory Directory { get; }

    public PowerLossFileSystem Files { get; }

    public Broker Broker { get; }

    public Partition Partition { get; }

    /// <summary>The <c>producer</c> case's <see cref="Acks.All"/> producer.</summary>
    public IProducer<string, string>? Producer { get; }

    /// <summary>The <c>groups</c> case's consumer, which commits offsets.</summary>
    public IConsumer<string, string>? Committer { get; }

    /// <summary>A new store with the crash topic created with <paramref name="config"/>.</summary>
    public static Task<PowerLossStore> CreateAsync(string mode, TopicConfig config, FakeTimeProvider time, ImagesInsideCalls inside,
        CancellationToken cancellationToken) =>
        OpenAsync(new TempDirectory(), mode, config, time, inside, cancellationToken);

    /// <summary>A store opened on <paramref name="image"/> (which it owns from now on), as a machine restarting after a
    /// power loss would open its disk.</summary>
    public static Task<PowerLossStore> RecoverFromAsync(TempDirectory image, string mode, FakeTimeProvider time, ImagesInsideCalls inside,
        CancellationToken cancellationToken) =>
        OpenAsync(image, mode, createWith: null, time, inside, cancellationToken);

    private static async Task<PowerLossStore> OpenAsync(TempDirectory directory, string mode, TopicConfig? createWith, FakeTimeProvider time,
        ImagesInsideCalls inside, CancellationToken cancellationToken)
    {
        var files = new PowerLossFileSystem(directory.Path);
        Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = directory.Path, FileSystem = files, TimeProvider = time },
            cancellationToken);
        // Set up before the hook is attached: images inside calls start with the loop's first call.
        Topic topic = createWith is not null
            ? await broker.CreateTopicAsync(CrashRecords.Topic, createWith, cancellationToken)
            : broker.TryGetTopic(CrashRecords.Topic, out Topic? found) ? found! : throw new AssertionException("The recovered store has no crash topic.");
        files.BeforeEntryOperation = operation => inside.OnEntryOperation(files, operation);
        IProducer<string, string>? producer = mode == "producer"
            ? broker.CreateProducer<string, string>(new ProducerOptions { Acks = Acks.All })
            : null;
        IConsumer<string, string>? committer = mode == "groups"
            ? broker.CreateConsumer<string, string>(new ConsumerOptions { GroupId = PowerLossPromises.Group, EnableAutoCommit = false })
            : null;
        return new PowerLossStore(directory, files, broker, topic.Partitions[0], producer, committer);
    }

    /// <summary>Closes the store and deletes its directory; no image is made inside the close.</summary>
    public async ValueTask DisposeAsync()
    {
        Files.BeforeEntryOperation = null;
        if (Producer is not null)
            await Producer.DisposeAsync();
        if (Committer is not null)
            await Committer.DisposeAsync();
        await Broker.DisposeAsync();
        Directory.Dispose();
    }
}
