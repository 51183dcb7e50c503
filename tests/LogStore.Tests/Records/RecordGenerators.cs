using CsCheck;
using LogStore;

namespace LogStore.Tests.Records;

/// <summary>CsCheck generators for records and batches.</summary>
internal static class RecordGenerators
{
    private static readonly string[] s_headerKeys = ["", "k", "trace-id", "retry", "café", "ключ", "🔑-key"];

    /// <summary>Null, empty or random bytes (sometimes more than one varint group of length).</summary>
    public static readonly Gen<byte[]?> NullableBytes = Gen.Frequency(
        (1, Gen.Const((byte[]?)null)),
        (1, Gen.Const((byte[]?)[])),
        (5, Gen.Byte.Array[1, 200].Select(b => (byte[]?)b)),
        (1, Gen.Byte.Array[200, 3000].Select(b => (byte[]?)b)));

    /// <summary>A header key: fixed ones (repeats, UTF-8) or random ASCII.</summary>
    public static readonly Gen<string> HeaderKey = Gen.Frequency(
        (2, Gen.OneOfConst(s_headerKeys)),
        (1, Gen.Char['a', 'z'].Array[0, 40].Select(chars => new string(chars))));

    /// <summary>A header whose value may be null or empty.</summary>
    public static readonly Gen<Header> Header =
        Gen.Select(HeaderKey, NullableBytes, (key, value) => new Header(key, value));

    /// <summary>A record whose timestamp lies within ±10⁶ ms of <paramref name="baseTimestamp"/>.</summary>
    public static Gen<RecordModel> Record(long baseTimestamp) =>
        Gen.Select(Gen.Long[-1_000_000, 1_000_000], NullableBytes, NullableBytes, Header.Array[0, 4],
            (delta, key, value, headers) => new RecordModel(baseTimestamp + delta, key, value, headers));

    /// <summary>1 to 40 records around a random base timestamp.</summary>
    public static readonly Gen<RecordModel[]> Records =
        Gen.Long[0, 2_000_000_000_000].SelectMany(baseTimestamp => Record(baseTimestamp).Array[1, 40]);

    /// <summary>Any of Kafka's five codecs.</summary>
    public static readonly Gen<CompressionType> Codec = Gen.OneOfConst(
        CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd);

    /// <summary>Builds <paramref name="records"/> with <paramref name="codec"/> and returns a copy of the batch's bytes.</summary>
    public static byte[] Build(CompressionType codec, IEnumerable<RecordModel> records, long baseOffset = 0)
    {
        using var builder = new RecordBatchBuilder(codec) { BaseOffset = baseOffset };
        return RecordModel.BuildBytes(builder, records);
    }
}
