// LogStore quickstart: produce keyed messages to a topic, read them back with a consumer group, then reopen the
// store, find the committed offsets again and replay a partition from a point in time.
//
// With --kafka HOST:PORT the same code runs on a Kafka cluster through LogStore.Kafka (a topic and group of the run's
// own); "reopen" is then a reconnect.
//
//   dotnet run --project samples/Quickstart [-- --kafka HOST:PORT]
using LogStore;
using LogStore.Kafka;

string? kafka = args is ["--kafka", var bootstrap] ? bootstrap
    : args.Length == 0 ? null : throw new ArgumentException("Usage: Quickstart [--kafka HOST:PORT]");
string dataDirectory = Path.Combine(Path.GetTempPath(), "logstore-quickstart");
string topic = "greetings", group = "quickstart";
if (kafka is null)
{
    if (Directory.Exists(dataDirectory))
        Directory.Delete(dataDirectory, recursive: true);
    Console.WriteLine($"Data directory: {dataDirectory}");
}
else
{
    string run = Guid.NewGuid().ToString("N")[..8];
    (topic, group) = ($"greetings-{run}", $"quickstart-{run}");
    Console.WriteLine($"Kafka cluster: {kafka}, topic {topic}");
}

// The one place that knows which store it is: everything below works on IClientSupplier.
async ValueTask<IClientSupplier> OpenAsync() => kafka is null
    ? await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory })
    : new KafkaClientSupplier(new KafkaClientSupplierOptions { BootstrapServers = kafka });

DateTimeOffset start = DateTimeOffset.UtcNow;
var consumerOptions = new ConsumerOptions { GroupId = group, AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };
long committed = 0;
int replayed = 0;

await using (IClientSupplier store = await OpenAsync())
{
    await store.CreateTopicAsync(topic, new TopicConfig { Partitions = 3 });
    await using (IProducer<string, string> producer = store.CreateProducer<string, string>(new ProducerOptions { Compression = CompressionType.Zstd }))
    {
        string[] words = ["hello", "bonjour", "hola", "ciao", "hallo", "olá"];
        for (int i = 0; i < words.Length; i++)
            producer.Produce(topic, new Message<string, string> { Key = $"user-{i % 2}", Value = words[i], Timestamp = start.AddSeconds(i) });
        DeliveryResult last = await producer.ProduceAsync(topic, new Message<string, string> { Key = "user-0", Value = "hej", Timestamp = start.AddSeconds(words.Length) });
        Console.WriteLine($"Produced {words.Length + 1} messages; the last one landed in {last.TopicPartition} at offset {last.Offset}");
    } // disposing the producer flushes what it still holds

    await using IConsumer<string, string> consumer = store.CreateConsumer<string, string>(consumerOptions);
    consumer.Subscribe([topic]);
    for (int read = 0; read < 7; read++)
    {
        ConsumeResult<string, string>? result = await consumer.ConsumeAsync(TimeSpan.FromSeconds(5));
        if (result is null)
            break;
        Console.WriteLine($"  {result.TopicPartition} offset {result.Offset}: {result.Message.Key} = {result.Message.Value}");
    }
    consumer.Commit();
    Console.WriteLine("Committed the group's positions; closing the store");
}

await using (IClientSupplier store = await OpenAsync())
{
    await using IConsumer<string, string> consumer = store.CreateConsumer<string, string>(consumerOptions);
    for (int p = 0; p < 3; p++)
    {
        long? offset = consumer.Committed(new TopicPartition(topic, p));
        committed += offset ?? 0;
        Console.WriteLine($"Reopened: committed offset of {topic}-{p} is {offset}");
    }

    // Replay by time: the first record of user-0's partition at or after start + 2 s, then everything after it.
    var partition = new TopicPartition(topic, 1);
    long from = consumer.OffsetForTimestamp(partition, start.AddSeconds(2)) ?? 0;
    consumer.Assign([new TopicPartitionOffset(partition, from)]);
    Console.WriteLine($"Replaying {partition} from offset {from} (the first record at or after {start.AddSeconds(2):HH:mm:ss}):");
    while (await consumer.ConsumeAsync(TimeSpan.FromSeconds(kafka is null ? 0 : 2)) is { } record)
    {
        replayed++;
        Console.WriteLine($"  offset {record.Offset}: {record.Message.Value} at {record.Message.Timestamp:HH:mm:ss}");
    }
}

// Exit code 1 when the group's commits or the replay did not show what they should (the samples' tests check it).
return committed == 7 && replayed > 0 ? 0 : 1;
