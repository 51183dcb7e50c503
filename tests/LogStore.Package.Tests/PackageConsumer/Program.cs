// Run by PackageTests in a throwaway directory, built against the packed LogStore package (never a project
// reference): produces records, consumes them back, and prints what the test checks. Exit code 0 means all came back.
using System.Reflection;
using LogStore;

const string Topic = "package-test";
const int Count = 10;

string dataDirectory = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data");
string? version = typeof(Broker).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
Console.WriteLine($"LogStore {version}");

await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory });
await broker.CreateTopicAsync(Topic, new TopicConfig { Partitions = 1 });
await using (IProducer<string, string> producer = broker.CreateProducer<string, string>(new ProducerOptions { Compression = CompressionType.Zstd }))
{
    for (int i = 0; i < Count; i++)
        producer.Produce(Topic, new Message<string, string> { Key = $"key-{i}", Value = $"value-{i}" });
    await producer.FlushAsync();
}

await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions());
consumer.Assign([new TopicPartitionOffset(new TopicPartition(Topic, 0), 0)]);
var values = new List<string>();
while (values.Count < Count && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } result)
    values.Add($"{result.Offset}:{result.Message.Value}");
Console.WriteLine($"Consumed {values.Count}: {string.Join(' ', values)}");
return values.Count == Count ? 0 : 1;
