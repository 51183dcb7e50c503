// LogStore quickstart: produce keyed messages to a topic, read them back with a consumer group, and find the
// committed offsets again after reopening the store.
using LogStore;

string dataDirectory = Path.Combine(Path.GetTempPath(), "logstore-quickstart");
if (Directory.Exists(dataDirectory))
    Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine($"Data directory: {dataDirectory}");
var consumerOptions = new ConsumerOptions { GroupId = "quickstart", AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false };

await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory }))
{
    await broker.CreateTopicAsync("greetings", new TopicConfig { Partitions = 3 });
    await using (IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Compression = CompressionType.Zstd }))
    {
        string[] words = ["hello", "bonjour", "hola", "ciao", "hallo", "olá"];
        for (int i = 0; i < words.Length; i++)
            producer.Produce("greetings", new Message<string, string> { Key = $"user-{i % 2}", Value = words[i] });
        DeliveryResult last = await producer.ProduceAsync("greetings", new Message<string, string> { Key = "user-0", Value = "hej" });
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
}
