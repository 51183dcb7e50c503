// LogStore quickstart: produce keyed messages to a topic, read them back with a consumer group, then reopen the
// store, find the committed offsets again and replay a partition from a point in time.
using LogStore;

string dataDirectory = Path.Combine(Path.GetTempPath(), "logstore-quickstart");
if (Directory.Exists(dataDirectory))
    Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine($"Data directory: {dataDirectory}");
DateTimeOffset start = DateTimeOffset.UtcNow;
var consumerOptions = new ConsumerOptions { GroupId = "quickstart", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };

await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory }))
{
    await broker.CreateTopicAsync("greetings", new TopicConfig { Partitions = 3 });
    await using (IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Compression = CompressionType.Zstd }))
    {
        string[] words = ["hello", "bonjour", "hola", "ciao", "hallo", "olá"];
        for (int i = 0; i < words.Length; i++)
            producer.Produce("greetings", new Message<string, string> { Key = $"user-{i % 2}", Value = words[i], Timestamp = start.AddSeconds(i) });
        DeliveryResult last = await producer.ProduceAsync("greetings", new Message<string, string> { Key = "user-0", Value = "hej", Timestamp = start.AddSeconds(words.Length) });
        Console.WriteLine($"Produced {words.Length + 1} messages; the last one landed in {last.TopicPartition} at offset {last.Offset}");
    } // disposing the producer flushes what it still holds

    await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(consumerOptions);
    consumer.Subscribe(["greetings"]);
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

await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory }))
{
    await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(consumerOptions);
    for (int p = 0; p < 3; p++)
        Console.WriteLine($"Reopened: committed offset of greetings-{p} is {consumer.Committed(new TopicPartition("greetings", p))}");

    // Replay by time: the first record of user-0's partition at or after start + 2 s, then everything after it.
    var partition = new TopicPartition("greetings", 1);
    long from = consumer.OffsetForTimestamp(partition, start.AddSeconds(2)) ?? 0;
    consumer.Assign([new TopicPartitionOffset(partition, from)]);
    Console.WriteLine($"Replaying {partition} from offset {from} (the first record at or after {start.AddSeconds(2):HH:mm:ss}):");
    while (await consumer.ConsumeAsync(TimeSpan.Zero) is { } replayed)
        Console.WriteLine($"  offset {replayed.Offset}: {replayed.Message.Value} at {replayed.Message.Timestamp:HH:mm:ss}");
}
