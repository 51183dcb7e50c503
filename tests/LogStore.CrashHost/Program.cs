using System.Globalization;
using System.Text;
using LogStore;
using LogStore.CrashHost;

// The child of the crash-loop test (tests/LogStore.Tests/Reliability/CrashLoopTests.cs, tests/RELIABILITY.md).
// Usage: LogStore.CrashHost <dataDirectory> <producer|roll|retention|compact|consume> <seed>
// Opens the store, continues the sequence from the last record in the log, and produces until it is killed, writing
// "START <logEndOffset> <nextSeq>" once and then "ACK <offset> <seq>" for each record only after its delivery
// completed durably (flush.messages=1: the append fsyncs before it returns); in the compact mode also
// "CLEANED <endOffset>" after each finished cleaning (CleanedLineLogger). Nothing here derives the next sequence
// number from the log end offset, so a lost, duplicated or reused offset shows up as seq != offset in the checker.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: LogStore.CrashHost <dataDirectory> <producer|roll|retention|compact|consume> <seed>");
    return 2;
}

string dataDirectory = args[0];
string mode = args[1];
var random = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
TopicConfig config = CrashRecords.Config(mode);
bool compact = config.CleanupPolicy != CleanupPolicy.Delete;
TextWriter stdout = Console.Out;

CleanedLineLogger? cleanedLines = compact ? new CleanedLineLogger(stdout) : null;
await using Broker broker = await Broker.OpenAsync(new BrokerOptions
{
    DataDirectory = dataDirectory,
    // Retention and the cleaner run often so kills land while they delete or swap segments.
    RetentionCheckInterval = mode is "retention" or "compact" ? TimeSpan.FromMilliseconds(10) : TimeSpan.FromMinutes(5),
    LoggerFactory = cleanedLines,
});
Topic topic = await broker.GetOrCreateTopicAsync(CrashRecords.Topic, config);
Partition partition = topic.Partitions[0];
long nextSeq = await LastSeqAsync(partition) + 1;
WriteLine(stdout, $"START {partition.LogEndOffset} {nextSeq}");
cleanedLines?.Start();

// Consumer-group commits under kill (CommitMode.cs).
if (mode == "consume")
    return await CommitMode.RunAsync(broker, partition, random, nextSeq, stdout);

if (mode == "producer")
{
    await using IProducer<string, string> producer = broker.CreateProducer<string, string>(
        new ProducerOptions { Acks = Acks.All, Linger = TimeSpan.FromMilliseconds(1) });
    var tp = new TopicPartition(CrashRecords.Topic, 0);
    var pending = new List<(long Seq, Task<DeliveryResult> Delivery)>();
    while (true)
    {
        // A burst of deliveries in flight at once, so the accumulator builds multi-record batches.
        int burst = random.Next(1, 17);
        for (int i = 0; i < burst; i++, nextSeq++)
        {
            var message = new Message<string, string> { Key = CrashRecords.Key(nextSeq, compact), Value = CrashRecords.Value(nextSeq) };
            pending.Add((nextSeq, producer.ProduceAsync(tp, message).AsTask()));
        }
        foreach ((long seq, Task<DeliveryResult> delivery) in pending)
        {
            DeliveryResult result = await delivery;
            WriteLine(stdout, $"ACK {result.Offset} {seq}");
        }
        pending.Clear();
    }
}

using var builder = new RecordBatchBuilder();
while (true)
{
    int count = random.Next(1, 9);
    long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    for (int i = 0; i < count; i++)
        builder.Append(now, Encoding.UTF8.GetBytes(CrashRecords.Key(nextSeq + i, compact)), Encoding.UTF8.GetBytes(CrashRecords.Value(nextSeq + i)));
    RecordBatch batch = builder.Build();
    AppendResult appended = await partition.AppendAsync(batch);
    builder.Reset();
    for (int i = 0; i < count; i++)
        WriteLine(stdout, $"ACK {appended.BaseOffset + i} {nextSeq + i}");
    nextSeq += count;
}

static void WriteLine(TextWriter writer, string line)
{
    writer.WriteLine(line);
    writer.Flush();
}

// The sequence number in the log's last record (never removed: retention keeps the active segment and the cleaner
// keeps each key's latest record), or logEndOffset - 1 when the log holds no record at all.
static async Task<long> LastSeqAsync(Partition partition)
{
    long end = partition.LogEndOffset;
    if (end == partition.LogStartOffset)
        return end - 1;
    using FetchResult fetch = await partition.ReadAsync(end - 1, 1 << 20);
    long last = -1;
    foreach (RecordBatch batch in fetch)
    {
        foreach (Record record in batch)
        {
            if (record.Offset == end - 1)
                last = CrashRecords.ParseSeq(record.Value);
        }
    }
    if (last < 0)
        throw new InvalidOperationException($"The record at {end - 1}, the log's last, is missing or not ours.");
    return last;
}
