using LogStore;

namespace LogStore.Tests.Records;

/// <summary>A record as plain data, for comparing what was written with what was read.</summary>
internal sealed record RecordModel(long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<Header> Headers)
{
    /// <summary>Set when read back from a batch; not compared for input models.</summary>
    public long Offset { get; init; }

    public int OffsetDelta { get; init; }

    public long TimestampDelta { get; init; }

    /// <summary>Copies a decoded record (keys, values and headers) out of the batch.</summary>
    public static RecordModel From(Record record)
    {
        var headers = new List<Header>();
        foreach (RecordHeader header in record.Headers)
        {
            headers.Add(header.ToHeader());
        }

        return new RecordModel(record.Timestamp, record.KeyToArray(), record.ValueToArray(), headers)
        {
            Offset = record.Offset,
            OffsetDelta = record.OffsetDelta,
            TimestampDelta = record.TimestampDelta,
        };
    }

    /// <summary>Every record of <paramref name="batch"/>, copied.</summary>
    public static List<RecordModel> ReadAll(RecordBatch batch)
    {
        var records = new List<RecordModel>();
        foreach (Record record in batch)
        {
            records.Add(From(record));
        }

        return records;
    }

    /// <summary>Appends <paramref name="records"/> to <paramref name="builder"/> and builds, returning a copy of the bytes.</summary>
    public static byte[] BuildBytes(RecordBatchBuilder builder, IEnumerable<RecordModel> records)
    {
        foreach (RecordModel record in records)
        {
            builder.Append(record.Timestamp, record.Key, record.Value, record.Headers);
        }

        return builder.Build().Span.ToArray();
    }

    /// <summary>Asserts that <paramref name="actual"/> has the timestamps, keys, values and headers of <paramref name="expected"/>.</summary>
    public static void AssertSame(IReadOnlyList<RecordModel> actual, IReadOnlyList<RecordModel> expected, long baseOffset)
    {
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++)
        {
            RecordModel a = actual[i];
            RecordModel e = expected[i];
            Assert.That(a.Offset, Is.EqualTo(baseOffset + i), $"offset of record {i}");
            Assert.That(a.OffsetDelta, Is.EqualTo(i), $"offsetDelta of record {i}");
            Assert.That(a.Timestamp, Is.EqualTo(e.Timestamp), $"timestamp of record {i}");
            Assert.That(a.Key, Is.EqualTo(e.Key), $"key of record {i}");
            Assert.That(a.Value, Is.EqualTo(e.Value), $"value of record {i}");
            Assert.That(a.Headers, Has.Count.EqualTo(e.Headers.Count), $"header count of record {i}");
            for (int h = 0; h < e.Headers.Count; h++)
            {
                Assert.That(a.Headers[h].Key, Is.EqualTo(e.Headers[h].Key), $"header {h} key of record {i}");
                Assert.That(a.Headers[h].Value, Is.EqualTo(e.Headers[h].Value), $"header {h} value of record {i}");
            }
        }
    }
}
