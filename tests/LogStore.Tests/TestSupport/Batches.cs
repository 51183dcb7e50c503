using System.Text;

namespace LogStore.Tests.TestSupport;

/// <summary>Builds test batches whose content can be checked after a round trip through the log.</summary>
internal static class Batches
{
    public const long BaseTime = 1_700_000_000_000;

    /// <summary>A batch of <paramref name="count"/> records "k{n}"/"v{n}" for n from <paramref name="firstId"/>.</summary>
    public static byte[] Make(int firstId, int count, long timestamp = BaseTime, int valueSize = 0, CompressionType compression = CompressionType.None)
    {
        using var builder = new RecordBatchBuilder(compression);
        for (int i = 0; i < count; i++)
        {
            int id = firstId + i;
            byte[] value = Encoding.UTF8.GetBytes($"v{id}");
            if (valueSize > value.Length)
            {
                Array.Resize(ref value, valueSize);
                value.AsSpan(value.Length - (valueSize - $"v{id}".Length)).Fill((byte)'.');
            }
            builder.Append(timestamp + i, Encoding.UTF8.GetBytes($"k{id}"), value);
        }
        return builder.Build().Memory.ToArray();
    }

    public static RecordBatch Batch(byte[] bytes) => RecordBatch.Parse(bytes);

    /// <summary>Reads everything from <paramref name="from"/> to the log end as (offset, key, value, timestamp).</summary>
    public static async Task<List<(long Offset, string Key, string Value, long Timestamp)>> ReadAll(Partition partition, long from = -1)
    {
        var records = new List<(long, string, string, long)>();
        long next = from < 0 ? partition.LogStartOffset : from;
        while (next < partition.LogEndOffset)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 64 * 1024);
            Assert.That(fetch.IsEmpty, Is.False, $"read at {next} returned nothing before the log end {partition.LogEndOffset}");
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.IsValid, Is.True);
                foreach (Record record in batch)
                {
                    if (record.Offset < next)
                        continue;
                    records.Add((record.Offset, Encoding.UTF8.GetString(record.Key), Encoding.UTF8.GetString(record.Value), record.Timestamp));
                }
                next = batch.NextOffset;
            }
        }
        return records;
    }
}
