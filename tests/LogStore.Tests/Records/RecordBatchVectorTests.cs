using System.Text.Json;
using LogStore;

namespace LogStore.Tests.Records;

/// <summary>
/// The golden vectors in testdata/kafka-record-batches: each .bin must decode to its .json field by field,
/// and the uncompressed ones must re-encode to the same bytes.
/// </summary>
[TestFixture]
public sealed class RecordBatchVectorTests
{
    private const string SegmentName = "segment-3-batches";

    private static string VectorDirectory =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "testdata", "kafka-record-batches");

    public static IEnumerable<TestCaseData> SingleBatchVectors()
    {
        foreach (string json in Directory.EnumerateFiles(VectorDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(json);
            if (name != SegmentName)
            {
                yield return new TestCaseData(name).SetName($"Vector_{name}");
            }
        }
    }

    public static IEnumerable<TestCaseData> ReencodableVectors()
    {
        foreach (TestCaseData data in SingleBatchVectors())
        {
            string name = (string)data.Arguments[0]!;
            using JsonDocument json = LoadJson(name);
            if (json.RootElement.GetProperty("reencodesIdentically").GetBoolean())
            {
                yield return new TestCaseData(name).SetName($"Reencode_{name}");
            }
        }
    }

    public static IEnumerable<TestCaseData> SegmentBatches()
    {
        for (int i = 0; i < 3; i++)
        {
            yield return new TestCaseData(i).SetName($"Segment_batch{i}");
        }
    }

    [Test]
    public void VectorDirectory_Exists_HasTheVectors()
    {
        Assert.That(Directory.Exists(VectorDirectory), Is.True, VectorDirectory);
        Assert.That(SingleBatchVectors().Count(), Is.GreaterThanOrEqualTo(12));
    }

    [TestCaseSource(nameof(SingleBatchVectors))]
    public void Parse_GoldenVector_DecodesToItsJson(string name)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(VectorDirectory, name + ".bin"));
        using JsonDocument json = LoadJson(name);

        RecordBatch batch = RecordBatch.Parse(bytes);

        AssertBatchEquals(batch, json.RootElement);
        Assert.That(batch.SizeInBytes, Is.EqualTo(bytes.Length));
    }

    [TestCaseSource(nameof(ReencodableVectors))]
    public void Build_GoldenVectorRecords_ReencodesIdentically(string name)
    {
        byte[] expected = File.ReadAllBytes(Path.Combine(VectorDirectory, name + ".bin"));
        using JsonDocument json = LoadJson(name);
        JsonElement root = json.RootElement;
        using var builder = new RecordBatchBuilder
        {
            BaseOffset = root.GetProperty("baseOffset").GetInt64(),
            PartitionLeaderEpoch = root.GetProperty("partitionLeaderEpoch").GetInt32(),
            ProducerId = root.GetProperty("producerId").GetInt64(),
            ProducerEpoch = root.GetProperty("producerEpoch").GetInt16(),
            BaseSequence = root.GetProperty("baseSequence").GetInt32(),
            IsTransactional = root.GetProperty("isTransactional").GetBoolean(),
        };

        byte[] actual = RecordModel.BuildBytes(builder, ReadRecords(root));

        Assert.That(actual, Is.EqualTo(expected));
    }

    [TestCaseSource(nameof(SegmentBatches))]
    public void Parse_SegmentFileBatch_DecodesToItsJson(int index)
    {
        byte[] segment = File.ReadAllBytes(Path.Combine(VectorDirectory, SegmentName + ".log"));
        using JsonDocument json = LoadJson(SegmentName);
        JsonElement root = json.RootElement;
        int position = root.GetProperty("batchPositions")[index].GetInt32();
        JsonElement expected = root.GetProperty("batchContents")[index];

        Assert.That(RecordBatch.TryReadSize(segment.AsSpan(position), out int size), Is.True);
        RecordBatch batch = RecordBatch.Parse(segment.AsMemory(position, size));

        AssertBatchEquals(batch, expected);
    }

    [Test]
    public void TryReadSize_SegmentFile_WalksAllBatches()
    {
        byte[] segment = File.ReadAllBytes(Path.Combine(VectorDirectory, SegmentName + ".log"));
        using JsonDocument json = LoadJson(SegmentName);
        var positions = new List<int>();
        int position = 0;
        while (RecordBatch.TryReadSize(segment.AsSpan(position), out int size))
        {
            positions.Add(position);
            RecordBatch.Parse(segment.AsMemory(position, size)).EnsureValid();
            position += size;
        }

        int[] expected = json.RootElement.GetProperty("batchPositions").EnumerateArray().Select(p => p.GetInt32()).ToArray();
        Assert.That(positions, Is.EqualTo(expected));
        Assert.That(position, Is.EqualTo(segment.Length));
    }

    private static JsonDocument LoadJson(string name) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(VectorDirectory, name + ".json")));

    private static List<RecordModel> ReadRecords(JsonElement batch)
    {
        var records = new List<RecordModel>();
        foreach (JsonElement r in batch.GetProperty("records").EnumerateArray())
        {
            var headers = new List<Header>();
            foreach (JsonElement h in r.GetProperty("headers").EnumerateArray())
            {
                headers.Add(new Header(h.GetProperty("key").GetString()!, Base64OrNull(h.GetProperty("valueBase64"))));
            }

            records.Add(new RecordModel(
                r.GetProperty("timestamp").GetInt64(),
                Base64OrNull(r.GetProperty("keyBase64")),
                Base64OrNull(r.GetProperty("valueBase64")),
                headers)
            {
                Offset = r.GetProperty("offset").GetInt64(),
                OffsetDelta = r.GetProperty("offsetDelta").GetInt32(),
                TimestampDelta = r.GetProperty("timestampDelta").GetInt64(),
            });
        }

        return records;
    }

    private static byte[]? Base64OrNull(JsonElement element) =>
        element.ValueKind == JsonValueKind.Null ? null : Convert.FromBase64String(element.GetString()!);

    private static void AssertBatchEquals(RecordBatch batch, JsonElement json)
    {
        Assert.Multiple(() =>
        {
            Assert.That(batch.BaseOffset, Is.EqualTo(json.GetProperty("baseOffset").GetInt64()), "baseOffset");
            Assert.That(batch.BatchLength, Is.EqualTo(json.GetProperty("batchLength").GetInt32()), "batchLength");
            Assert.That(batch.PartitionLeaderEpoch, Is.EqualTo(json.GetProperty("partitionLeaderEpoch").GetInt32()), "partitionLeaderEpoch");
            Assert.That(batch.Magic, Is.EqualTo(json.GetProperty("magic").GetByte()), "magic");
            Assert.That(batch.Crc, Is.EqualTo(json.GetProperty("crc").GetUInt32()), "crc");
            Assert.That(batch.Attributes, Is.EqualTo(json.GetProperty("attributes").GetInt16()), "attributes");
            Assert.That((int)batch.Compression, Is.EqualTo(json.GetProperty("compression").GetInt32()), "compression");
            Assert.That(batch.TimestampType.ToString(), Is.EqualTo(json.GetProperty("timestampType").GetString()), "timestampType");
            Assert.That(batch.IsTransactional, Is.EqualTo(json.GetProperty("isTransactional").GetBoolean()), "isTransactional");
            Assert.That(batch.IsControlBatch, Is.EqualTo(json.GetProperty("isControlBatch").GetBoolean()), "isControlBatch");
            Assert.That(batch.LastOffsetDelta, Is.EqualTo(json.GetProperty("lastOffsetDelta").GetInt32()), "lastOffsetDelta");
            Assert.That(batch.BaseTimestamp, Is.EqualTo(json.GetProperty("baseTimestamp").GetInt64()), "baseTimestamp");
            Assert.That(batch.MaxTimestamp, Is.EqualTo(json.GetProperty("maxTimestamp").GetInt64()), "maxTimestamp");
            Assert.That(batch.ProducerId, Is.EqualTo(json.GetProperty("producerId").GetInt64()), "producerId");
            Assert.That(batch.ProducerEpoch, Is.EqualTo(json.GetProperty("producerEpoch").GetInt16()), "producerEpoch");
            Assert.That(batch.BaseSequence, Is.EqualTo(json.GetProperty("baseSequence").GetInt32()), "baseSequence");
            Assert.That(batch.RecordCount, Is.EqualTo(json.GetProperty("recordCount").GetInt32()), "recordCount");
            Assert.That(batch.SizeInBytes, Is.EqualTo(json.GetProperty("sizeInBytes").GetInt32()), "sizeInBytes");
            Assert.That(batch.LastOffset, Is.EqualTo(batch.BaseOffset + batch.LastOffsetDelta), "lastOffset");
            Assert.That(batch.IsValid, Is.True, "CRC valid");
            Assert.That(batch.ComputeCrc(), Is.EqualTo(batch.Crc), "computed CRC");
        });

        List<RecordModel> expected = ReadRecords(json);
        List<RecordModel> actual = RecordModel.ReadAll(batch);
        Assert.That(actual, Has.Count.EqualTo(expected.Count));
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.That(actual[i].Offset, Is.EqualTo(expected[i].Offset), $"offset of record {i}");
            Assert.That(actual[i].OffsetDelta, Is.EqualTo(expected[i].OffsetDelta), $"offsetDelta of record {i}");
            Assert.That(actual[i].TimestampDelta, Is.EqualTo(expected[i].TimestampDelta), $"timestampDelta of record {i}");
        }

        RecordModel.AssertSame(actual, expected, batch.BaseOffset);
    }
}
