// LogStore quickstart: create a topic, append a few records, reopen the store and read them back
// by offset and by time.
using System.Text;
using LogStore;

string dataDirectory = Path.Combine(Path.GetTempPath(), "logstore-quickstart");
if (Directory.Exists(dataDirectory))
    Directory.Delete(dataDirectory, recursive: true);
Console.WriteLine($"Data directory: {dataDirectory}");

DateTimeOffset start = DateTimeOffset.UtcNow;
await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory }))
{
    Topic topic = await broker.CreateTopicAsync("greetings", new TopicConfig { Partitions = 1 });
    Partition partition = topic.Partitions[0];
    Console.WriteLine($"Created topic '{topic.Name}' with {topic.Partitions.Count} partition");

    using var builder = new RecordBatchBuilder();
    string[] words = ["hello", "bonjour", "hola", "ciao", "hallo"];
    for (int i = 0; i < words.Length; i++)
    {
        builder.Reset();
        long timestamp = start.AddSeconds(i).ToUnixTimeMilliseconds();
        builder.Append(timestamp, Encoding.UTF8.GetBytes($"key-{i}"), Encoding.UTF8.GetBytes(words[i]));
        AppendResult result = await partition.AppendAsync(builder.Build());
        Console.WriteLine($"Appended '{words[i]}' at offset {result.BaseOffset}");
    }
    await partition.FlushAsync();
    Console.WriteLine("Flushed to disk; closing the store");
}

await using (Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dataDirectory }))
{
    broker.TryGetTopic("greetings", out Topic? topic);
    Partition partition = topic!.Partitions[0];
    Console.WriteLine($"Reopened: '{topic.Name}' holds offsets {partition.LogStartOffset} to {partition.LogEndOffset - 1}");

    Console.WriteLine("Reading from offset 2:");
    using (FetchResult fetch = await partition.ReadAsync(offset: 2, maxBytes: 1 << 20))
        Print(fetch, fromOffset: 2);

    DateTimeOffset time = start.AddSeconds(3);
    long? offset = partition.OffsetForTimestamp(time);
    Console.WriteLine($"First record at or after {time:HH:mm:ss}: offset {offset}");
    using (FetchResult fetch = await partition.ReadAsync(offset!.Value, maxBytes: 1 << 20))
        Print(fetch, offset.Value);
}

static void Print(FetchResult fetch, long fromOffset)
{
    foreach (RecordBatch batch in fetch)
    {
        foreach (Record record in batch)
        {
            if (record.Offset < fromOffset)
                continue;
            Console.WriteLine($"  offset {record.Offset}: {Encoding.UTF8.GetString(record.Key)} = {Encoding.UTF8.GetString(record.Value)} " +
                $"({DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp):HH:mm:ss})");
        }
    }
}
