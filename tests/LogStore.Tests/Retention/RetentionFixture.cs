using System.Text;
using LogStore.Retention;
using LogStore.Storage;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Retention;

/// <summary>What the retention fixtures share: a temp directory, a fake clock at <see cref="Batches.BaseTime"/>, keyed batches.</summary>
public abstract class RetentionFixture : BrokerFixture
{
    internal ValueTask<Broker> Open(string? path = null, TimeSpan? interval = null) => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = path ?? Dir.Path,
        TimeProvider = Time,
        RetentionCheckInterval = interval ?? TimeSpan.FromDays(365),
    });

    internal static LogCleaner CleanerOf(Broker broker) => broker.Retention.Cleaner;

    /// <summary>Flushes <paramref name="partition"/>, so that no roll's background flush is still to run: one that ran
    /// during a test's deletion would hold the segment, and its files would go when the flush let go, not at once.</summary>
    internal static Task Settle(Partition partition) => partition.FlushAsync().AsTask();

    /// <summary>A batch of records (key, value); a null value is a tombstone, a null key a keyless record.</summary>
    internal static RecordBatch Keyed(long timestamp, CompressionType compression, params (string? Key, string? Value)[] records)
    {
        using var builder = new RecordBatchBuilder(compression);
        foreach ((string? key, string? value) in records)
            builder.Append(timestamp, key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));
        return RecordBatch.Parse(builder.Build().Memory.ToArray());
    }

    internal static RecordBatch Keyed(long timestamp, params (string? Key, string? Value)[] records) =>
        Keyed(timestamp, CompressionType.None, records);

    /// <summary>Every record from the log start: (offset, key, value or null for a tombstone).</summary>
    internal static async Task<List<(long Offset, string Key, string? Value)>> ReadAll(Partition partition)
    {
        var records = new List<(long, string, string?)>();
        long next = partition.LogStartOffset;
        while (next < partition.LogEndOffset)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 1 << 20);
            Assert.That(fetch.IsEmpty, Is.False, $"read at {next} returned nothing before the log end {partition.LogEndOffset}");
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.IsValid, Is.True, "every batch read has a valid CRC");
                foreach (Record record in batch)
                {
                    if (record.Offset >= next)
                        records.Add((record.Offset, Encoding.UTF8.GetString(record.Key), record.IsValueNull ? null : Encoding.UTF8.GetString(record.Value)));
                }
                next = batch.NextOffset;
            }
        }
        return records;
    }

    /// <summary>The latest value of every key, tombstones included as null.</summary>
    internal static Dictionary<string, string?> Latest(IEnumerable<(long Offset, string Key, string? Value)> records)
    {
        var latest = new Dictionary<string, string?>();
        foreach ((_, string key, string? value) in records)
            latest[key] = value;
        return latest;
    }

    internal static long[] BaseOffsets(Partition partition) => [.. partition.Segments.Select(s => s.BaseOffset)];

    internal static string[] FilesOf(string directory, string pattern) =>
        [.. Directory.GetFiles(directory, pattern).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
