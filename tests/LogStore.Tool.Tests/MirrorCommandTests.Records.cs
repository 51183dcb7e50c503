using System.Globalization;
using System.Text;

namespace LogStore.Tool.Tests;

/// <summary>The records <see cref="MirrorCommandTests"/> writes to the source and reads back from both stores.</summary>
public sealed partial class MirrorCommandTests
{
    /// <summary>Each partition: plain batches with keys, null keys, empty and null values, headers (a null one, a repeated
    /// key) and explicit timestamps; a zstd batch; a LogAppendTime batch.</summary>
    private static async Task FillAsync(Topic topic)
    {
        for (int p = 0; p < topic.Partitions.Count; p++)
        {
            Partition partition = topic.Partitions[p];
            for (int b = 0; b < 4; b++)
            {
                using var builder = new RecordBatchBuilder(b == 2 ? CompressionType.Zstd : CompressionType.None)
                {
                    TimestampType = b == 3 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
                };
                for (int r = 0; r < 5; r++)
                {
                    int n = (b * 5) + r;
                    byte[]? key = n % 4 == 1 ? null : Encoding.UTF8.GetBytes($"key-{p}-{n % 3}");
                    byte[]? value = n % 5 == 3 ? null : n % 7 == 4 ? [] : Encoding.UTF8.GetBytes($"value-{p}-{n}");
                    Header[] headers = n % 3 == 0 ? []
                        : [new Header("trace", Encoding.UTF8.GetBytes($"t{n}")), new Header("none", null), new Header("blank", []), new Header("trace", [(byte)n, 0, 255])];
                    builder.Append(Past + (n * 1000) - (n % 2 * 1500), key, value, headers);
                }
                await partition.AppendAsync(builder.Build());
            }
        }
    }

    private async Task CreateSourceAsync(int partitions, int recordsPerPartition)
    {
        await using Broker broker = await OpenBroker();
        await broker.CreateTopicAsync("orders", new TopicConfig { Partitions = partitions });
        for (int p = 0; p < partitions; p++)
            await AppendAsync(broker, p, 0, recordsPerPartition);
    }

    private async Task AppendAsync(int partition, int from, int count)
    {
        await using Broker broker = await OpenBroker();
        await AppendAsync(broker, partition, from, count);
    }

    private static async Task AppendAsync(Broker broker, int partition, int from, int count)
    {
        Assert.That(broker.TryGetTopic("orders", out Topic? topic), Is.True);
        using var builder = new RecordBatchBuilder();
        for (int i = from; i < from + count; i++)
            builder.Append(Past + (i * 1000L), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes($"p{partition}-{i}"));
        await topic!.Partitions[partition].AppendAsync(builder.Build());
    }

    private static IEnumerable<string> Values(int partition, int count) => Enumerable.Range(0, count).Select(i => $"p{partition}-{i}");

    private static async Task<List<string>> ReadValuesAsync(Partition partition)
    {
        var values = new List<string>();
        foreach (string record in await ReadAllAsync(partition, withOffsets: false))
            values.Add(record.Split(' ')[2]["value=".Length..]);
        return values;
    }

    /// <summary>Every record of <paramref name="partition"/> as one line: timestamp, key, value and headers, with null
    /// and empty told apart; a target's records are all CreateTime, so the source's type is not part of the line.</summary>
    private static async Task<List<string>> ReadAllAsync(Partition partition, bool withOffsets)
    {
        var lines = new List<string>();
        long offset = partition.LogStartOffset;
        for (int reads = 0; offset < partition.LogEndOffset && reads < 10_000; reads++)
        {
            using FetchResult fetch = await partition.ReadAsync(offset, 1 << 20);
            foreach (RecordBatch batch in fetch)
            {
                foreach (Record record in batch)
                {
                    if (record.Offset < offset)
                        continue;
                    var line = new StringBuilder();
                    if (withOffsets)
                        line.Append(CultureInfo.InvariantCulture, $"offset={record.Offset} ");
                    line.Append(CultureInfo.InvariantCulture, $"ts={record.Timestamp} key={Text(record.KeyToArray())} value={Text(record.ValueToArray())}");
                    foreach (RecordHeader header in record.Headers)
                        line.Append(CultureInfo.InvariantCulture, $" h:{header.GetKeyString()}={Text(header.IsValueNull ? null : header.Value.ToArray())}");
                    lines.Add(line.ToString());
                }
                offset = batch.NextOffset;
            }
        }
        return lines;
    }

    private static string Text(byte[]? bytes) => bytes is null ? "<null>" : bytes.Length == 0 ? "<empty>" : Convert.ToHexString(bytes) is var hex && bytes.All(b => b is >= 0x20 and < 0x7f) ? Encoding.ASCII.GetString(bytes) : "0x" + hex;

    /// <summary>Standard error that presses Ctrl+C when a line containing <paramref name="trigger"/> is written.</summary>
    private sealed class InterruptingWriter(string trigger, CancellationTokenSource interrupt) : StringWriter(CultureInfo.InvariantCulture)
    {
        public override Task WriteLineAsync(string? value)
        {
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal))
                interrupt.Cancel();
            return base.WriteLineAsync(value);
        }
    }
}
