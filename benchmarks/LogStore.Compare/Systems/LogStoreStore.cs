namespace LogStore.Compare.Systems;

/// <summary>
/// A LogStore broker in its own data directory with one topic ("bench"): default segment size (1 GiB), no
/// retention (nothing may be deleted under a benchmark), <paramref name="partitions"/> partitions. Dispose closes
/// the broker (a clean shutdown) and deletes the directory.
/// </summary>
internal sealed class LogStoreStore : IDisposable
{
    public const string TopicName = "bench";

    private LogStoreStore(string directory, Broker broker, Topic topic)
    {
        Directory = directory;
        Broker = broker;
        Topic = topic;
    }

    public string Directory { get; }

    public Broker Broker { get; }

    public Topic Topic { get; }

    public static LogStoreStore Create(string name, int partitions = 1, long? flushMessages = null)
    {
        string directory = Scratch.NewDirectory(name);
        Broker broker = Broker.OpenAsync(new BrokerOptions { DataDirectory = directory }).AsTask().GetAwaiter().GetResult();
        var config = new TopicConfig { Partitions = partitions, RetentionTime = null, FlushMessages = flushMessages };
        Topic topic = broker.CreateTopicAsync(TopicName, config).AsTask().GetAwaiter().GetResult();
        return new LogStoreStore(directory, broker, topic);
    }

    public Partition Partition(int index = 0) => Topic.Partitions[index];

    /// <summary>fsyncs every partition (Broker.FlushAsync).</summary>
    public void Flush() => Broker.FlushAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A producer as an application creates it: default options (16 KiB batches, 5 ms linger, 32 MiB buffer
    /// memory, acks=all, sticky partitioning of null keys), byte[] values, null keys.</summary>
    public IProducer<TKey, byte[]> CreateProducer<TKey>() => Broker.CreateProducer<TKey, byte[]>();

    /// <summary>A trial of one producer (<see cref="CreateProducer"/>): <paramref name="produce"/>, then the producer's
    /// flush and Broker.FlushAsync (durable); cleanup disposes the producer and this store.</summary>
    public Trial ProducerTrial<TKey>(Action<IProducer<TKey, byte[]>> produce)
    {
        IProducer<TKey, byte[]> producer = CreateProducer<TKey>();
        return new Trial(() =>
        {
            produce(producer);
            producer.FlushAsync().AsTask().GetAwaiter().GetResult();
            Flush();
        }, () =>
        {
            producer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Dispose();
        });
    }

    /// <summary>Appends <paramref name="records"/> values through <see cref="PartitionWriter"/> (its batches gathered
    /// into appends of up to <paramref name="gatherBytes"/>, when given) and fsyncs.</summary>
    public void AppendDurably(byte[] value, long records, int gatherBytes = 0)
    {
        using var writer = new PartitionWriter(Partition(), value.Length, gatherBytes);
        for (long i = records; i > 0; i--)
            writer.Append(value);
        writer.Seal();
        Flush();
    }

    public void Dispose()
    {
        try
        {
            Broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            Scratch.Delete(Directory);
        }
    }
}
