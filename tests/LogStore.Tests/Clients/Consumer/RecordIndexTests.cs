using System.Text;
using LogStore.Clients;
using LogStore.Records;
using LogStore.Tests.Records;

namespace LogStore.Tests.Clients;

/// <summary>
/// The read ahead's record index must give back exactly the records the consumer would decode itself, and leave out
/// every batch it cannot index (compressed, control, malformed), so those are decoded, and reported, as before.
/// </summary>
[TestFixture]
public sealed class RecordIndexTests
{
    private const long BaseTime = 1_700_000_000_000;

    [Test]
    public void Build_IndexesEveryUncompressedBatch_AndGivesBackWhatTheCursorDecodes()
    {
        var batches = new List<byte[]>
        {
            Built(0, CompressionType.None, TimestampType.CreateTime),
            Built(3, CompressionType.Gzip, TimestampType.CreateTime),
            Built(6, CompressionType.None, TimestampType.LogAppendTime),
            RawBatch.Create(RawBatch.Record(0, keyLength: 40, key: [1, 2, 3]), recordCount: 1, lastOffsetDelta: 0, baseOffset: 9),
            RawBatch.Create(RawBatch.Record(0, value: [7], valueLength: 1), recordCount: 1, lastOffsetDelta: 0, baseOffset: 10,
                extraAttributes: RecordBatch.ControlMask),
            Built(11, CompressionType.None, TimestampType.CreateTime),
        };
        byte[] fetch = batches.SelectMany(b => b).ToArray();

        using Fetcher.RecordIndex index = Fetcher.RecordIndex.Build(fetch)!;

        var indexed = new List<long>();
        int position = 0;
        foreach (byte[] bytes in batches)
        {
            RecordBatch batch = RecordBatch.Parse(bytes);
            if (index.TryGetBatch(position, out int first, out int count))
            {
                indexed.Add(batch.BaseOffset);
                AssertSameRecords(batch, index, first, count);
            }
            position += bytes.Length;
        }
        Assert.That(indexed, Is.EqualTo(new long[] { 0, 6, 11 }), "the gzip, malformed and control batches are left to the consumer");
    }

    [Test]
    public void Build_NothingIndexable_ReturnsNull()
    {
        Assert.That(Fetcher.RecordIndex.Build(Built(0, CompressionType.Zstd, TimestampType.CreateTime)), Is.Null);
        Assert.That(Fetcher.RecordIndex.Build(ReadOnlyMemory<byte>.Empty), Is.Null);
    }

    private static byte[] Built(long baseOffset, CompressionType compression, TimestampType timestampType)
    {
        using var builder = new RecordBatchBuilder(compression) { BaseOffset = baseOffset, TimestampType = timestampType };
        builder.Append(BaseTime, Encoding.UTF8.GetBytes("key"), Encoding.UTF8.GetBytes("value"), [new Header("h", [1, 2]), new Header("n", null)]);
        builder.Append(BaseTime - 5, null, []);
        builder.Append(BaseTime + 7, [], null, [new Header("", [])]);
        return builder.Build().Memory.ToArray();
    }

    private static void AssertSameRecords(RecordBatch batch, Fetcher.RecordIndex index, int first, int count)
    {
        ReadOnlySpan<byte> region = batch.Span[RecordBatch.HeaderSize..];
        RecordCursor cursor = batch.CreateCursor();
        int i = 0;
        while (cursor.MoveNext(region, out Record expected))
        {
            Assert.That(i, Is.LessThan(count));
            Record actual = index.Get(first + i, region, batch.BaseOffset);
            Assert.That((actual.Offset, actual.OffsetDelta, actual.Timestamp, actual.TimestampDelta, actual.SizeInBytes),
                Is.EqualTo((expected.Offset, expected.OffsetDelta, expected.Timestamp, expected.TimestampDelta, expected.SizeInBytes)));
            Assert.That((actual.KeyToArray(), actual.IsKeyNull), Is.EqualTo((expected.KeyToArray(), expected.IsKeyNull)));
            Assert.That((actual.ValueToArray(), actual.IsValueNull), Is.EqualTo((expected.ValueToArray(), expected.IsValueNull)));
            Assert.That(Headers(actual), Is.EqualTo(Headers(expected)));
            i++;
        }
        Assert.That(i, Is.EqualTo(count));
    }

    private static List<string> Headers(Record record)
    {
        var headers = new List<string>();
        foreach (RecordHeader header in record.Headers)
            headers.Add($"{header.GetKeyString()}={(header.IsValueNull ? "null" : Convert.ToHexString(header.Value))}");
        return headers;
    }
}
