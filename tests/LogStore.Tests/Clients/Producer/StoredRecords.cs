namespace LogStore.Tests.Clients.Producer;

/// <summary>One record as read back from a partition.</summary>
internal sealed record StoredRecord(long Offset, byte[]? Key, byte[]? Value, long Timestamp, List<(string Key, byte[]? Value)> Headers);

/// <summary>Reads what a producer wrote, batch by batch, as the storage tests do.</summary>
internal static class StoredRecords
{
    public static async Task<(List<StoredRecord> Records, List<CompressionType> Codecs, long Bytes)> ReadAll(Partition partition)
    {
        var records = new List<StoredRecord>();
        var codecs = new List<CompressionType>();
        long bytes = 0;
        long next = partition.LogStartOffset;
        while (next < partition.LogEndOffset)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 1 << 20);
            Assert.That(fetch.IsEmpty, Is.False);
            foreach (RecordBatch batch in fetch)
            {
                Assert.That(batch.IsValid, Is.True);
                codecs.Add(batch.Compression);
                bytes += batch.SizeInBytes;
                foreach (Record record in batch)
                {
                    var headers = new List<(string, byte[]?)>();
                    foreach (RecordHeader header in record.Headers)
                        headers.Add((header.GetKeyString(), header.IsValueNull ? null : header.Value.ToArray()));
                    records.Add(new StoredRecord(record.Offset, record.KeyToArray(), record.ValueToArray(), record.Timestamp, headers));
                }
                next = batch.NextOffset;
            }
        }
        return (records, codecs, bytes);
    }
}
