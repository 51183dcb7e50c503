using System.Globalization;
using System.Text;

namespace LogStore.CrashHost;

/// <summary>
/// The crash host's <c>consume</c> mode: a group consumer reads the topic from its committed offset and commits as it
/// goes, so kills land inside <c>Commit</c> (an append and fsync of <c>__consumer_offsets</c>), inside a fetch, and
/// while the topic of committed offsets is created or recovered. When the consumer nears the log end the host appends
/// more records itself (printing <c>ACK</c> lines as the other modes), so the log keeps the crash-loop invariant
/// "the record at offset o carries sequence number o".
/// </summary>
/// <remarks>
/// Output, each line flushed: <c>RESUME &lt;committed or -1&gt;</c> once the consumer has its assignment, then for each
/// commit <c>COMMITTING &lt;offset&gt;</c> before the call and <c>COMMIT &lt;offset&gt;</c> after it returned (the offset is
/// one past the last record processed). The host checks every record it consumes (dense, its own sequence number)
/// and exits with code 3 on the first surprise, which the parent reports as a failure.
/// </remarks>
internal static class CommitMode
{
    /// <summary>Records appended at once when the consumer comes within <see cref="LowWater"/> of the log end.</summary>
    private const int Fill = 400;

    private const int LowWater = 100;

    public static async Task<int> RunAsync(Broker broker, Partition partition, Random random, long nextSeq, TextWriter stdout)
    {
        var tp = new TopicPartition(CrashRecords.Topic, 0);
        await using IConsumer<string, string> consumer = broker.CreateConsumer<string, string>(new ConsumerOptions
        {
            GroupId = CrashRecords.Group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            MaxPollRecords = random.Next(1, 64),
        });
        consumer.Subscribe([CrashRecords.Topic]);
        long committed = consumer.Committed(tp) ?? -1;
        WriteLine(stdout, $"RESUME {committed}");

        using var builder = new RecordBatchBuilder();
        long expected = Math.Max(committed, 0);
        int sinceCommit = 0, commitEvery = random.Next(1, 9);
        while (true)
        {
            if (partition.LogEndOffset - expected < LowWater)
                nextSeq = await FillAsync(partition, builder, random, nextSeq, stdout);

            ConsumeResult<string, string>? result = await consumer.ConsumeAsync(TimeSpan.FromSeconds(30));
            if (result is null)
                return Fail($"nothing consumed at {expected} although the log ends at {partition.LogEndOffset}");
            long seq = CrashRecords.ParseSeq(Encoding.UTF8.GetBytes(result.Message.Value));
            if (result.Offset != expected || seq != expected || result.Message.Key != CrashRecords.Key(expected, compact: false))
                return Fail($"consumed offset {result.Offset} carrying seq {seq} where {expected} was next");
            expected++;

            // Commit after each record or after a small batch of them, by both Commit overloads.
            if (++sinceCommit < commitEvery)
                continue;
            WriteLine(stdout, $"COMMITTING {expected}");
            if (random.Next(2) == 0)
                consumer.Commit();
            else
                consumer.Commit([new TopicPartitionOffset(tp, expected)]);
            WriteLine(stdout, $"COMMIT {expected}");
            sinceCommit = 0;
            commitEvery = random.Next(1, 9);
        }
    }

    /// <summary>Appends <see cref="Fill"/> records in small durable batches and acknowledges them.</summary>
    private static async Task<long> FillAsync(Partition partition, RecordBatchBuilder builder, Random random, long nextSeq, TextWriter stdout)
    {
        for (int filled = 0; filled < Fill;)
        {
            int count = random.Next(1, 65);
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < count; i++)
                builder.Append(now, Encoding.UTF8.GetBytes(CrashRecords.Key(nextSeq + i, compact: false)), Encoding.UTF8.GetBytes(CrashRecords.Value(nextSeq + i)));
            AppendResult appended = await partition.AppendAsync(builder.Build());
            builder.Reset();
            for (int i = 0; i < count; i++)
                WriteLine(stdout, $"ACK {appended.BaseOffset + i} {nextSeq + i}");
            nextSeq += count;
            filled += count;
        }
        return nextSeq;
    }

    private static void WriteLine(TextWriter writer, string line)
    {
        writer.WriteLine(line);
        writer.Flush();
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("consume mode: " + message);
        Console.Error.Flush();
        return 3;
    }
}
