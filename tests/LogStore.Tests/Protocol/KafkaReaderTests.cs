using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>The primitives, and every length a peer sends checked before anything is allocated.</summary>
[TestFixture]
public sealed class KafkaReaderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private delegate void ReadAction(ref KafkaReader reader);

    private static void AssertRefused(byte[] bytes, ReadAction read)
    {
        foreach (int every in new[] { bytes.Length, 1 })
        {
            Assert.That(() =>
            {
                var reader = new KafkaReader(MessageCodecs.Segmented(bytes, Math.Max(every, 1)));
                read(ref reader);
            }, Throws.TypeOf<KafkaProtocolException>(), Convert.ToHexString(bytes));
        }
    }

    [Test]
    public void Read_PrimitivesAcrossOneByteSegments_ReturnWhatTheWriterWrote()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        var id = Guid.Parse("71e28c6a-c616-4c43-988b-a3167360a140");
        writer.WriteInt8(-5);
        writer.WriteInt16(-12345);
        writer.WriteInt32(int.MinValue);
        writer.WriteInt64(long.MaxValue);
        writer.WriteUVarInt(uint.MaxValue);
        writer.WriteVarInt(-64);
        writer.WriteVarLong(long.MinValue);
        writer.WriteBool(true);
        writer.WriteUuid(id);
        writer.WriteFloat64(3.25);
        writer.WriteString("ñandú", compact: false);
        writer.WriteNullableString(null, compact: true);
        writer.WriteString("héllo wörld, a string across segments", compact: true);
        writer.WriteNullableBytes(null, compact: false);
        writer.WriteBytes([1, 2, 3], compact: true);
        writer.WriteInt32Array([7, 8], compact: true);
        writer.WriteStringArray(null, compact: false);
        writer.WriteRecords(new ReadOnlySequence<byte>([9, 9, 9, 9]), compact: true);

        var reader = new KafkaReader(MessageCodecs.Segmented(output.WrittenSpan.ToArray(), 1));
        Assert.That(reader.ReadInt8(), Is.EqualTo(-5));
        Assert.That(reader.ReadInt16(), Is.EqualTo(-12345));
        Assert.That(reader.ReadInt32(), Is.EqualTo(int.MinValue));
        Assert.That(reader.ReadInt64(), Is.EqualTo(long.MaxValue));
        Assert.That(reader.ReadUVarInt(), Is.EqualTo(uint.MaxValue));
        Assert.That(reader.ReadVarInt(), Is.EqualTo(-64));
        Assert.That(reader.ReadVarLong(), Is.EqualTo(long.MinValue));
        Assert.That(reader.ReadBool(), Is.True);
        Assert.That(reader.ReadUuid(), Is.EqualTo(id));
        Assert.That(reader.ReadFloat64(), Is.EqualTo(3.25));
        Assert.That(reader.ReadString(compact: false), Is.EqualTo("ñandú"));
        Assert.That(reader.ReadNullableString(compact: true), Is.Null);
        Assert.That(reader.ReadString(compact: true), Is.EqualTo("héllo wörld, a string across segments"));
        Assert.That(reader.ReadNullableBytes(compact: false), Is.Null);
        Assert.That(reader.ReadBytes(compact: true), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(reader.ReadInt32Array(compact: true), Is.EqualTo(new[] { 7, 8 }));
        Assert.That(reader.ReadNullableStringArray(compact: false), Is.Null);
        Assert.That(reader.ReadRecords(compact: true)!.Value.ToArray(), Is.EqualTo(new byte[] { 9, 9, 9, 9 }));
        Assert.That(reader.Remaining, Is.Zero);
    }

    [Test]
    public void Uuid_IsBigEndianAsInKafka()
    {
        var reader = new KafkaReader(new ReadOnlySequence<byte>(Hex("71e28c6ac6164c43988ba3167360a140")));
        Assert.That(reader.ReadUuid(), Is.EqualTo(Guid.Parse("71e28c6a-c616-4c43-988b-a3167360a140")));
    }

    [Test]
    public void ReadArrayLength_CountOf2Pow31In20Bytes_Throws() =>
        AssertRefused(Hex("7fffffff 00000000 00000000 00000000 00000000"), (ref KafkaReader r) => r.ReadArrayLength(false));

    [Test]
    public void ReadArrayLength_CompactCountBeyondRemaining_Throws() =>
        AssertRefused(Hex("ffffffff07 0000"), (ref KafkaReader r) => r.ReadArrayLength(true));

    [Test]
    public void ReadArrayLength_ElementsLargerThanRemaining_Throws() =>
        AssertRefused(Hex("00000003 0000000000000000"), (ref KafkaReader r) => r.ReadArrayLength(false, minElementSize: 4));

    [TestCase("fffffffe")]
    [TestCase("80000000")]
    public void ReadArrayLength_NegativeOtherThanNull_Throws(string hex) =>
        AssertRefused(Hex(hex), (ref KafkaReader r) => r.ReadArrayLength(false));

    [Test]
    public void ReadNonNullArrayLength_Null_Throws() =>
        AssertRefused(Hex("ffffffff"), (ref KafkaReader r) => r.ReadNonNullArrayLength(false));

    [TestCase("fffe")]
    [TestCase("8000")]
    public void ReadNullableString_NegativeOtherThanNull_Throws(string hex) =>
        AssertRefused(Hex(hex), (ref KafkaReader r) => r.ReadNullableString(false));

    [Test]
    public void ReadString_LongerThanRemaining_Throws() =>
        AssertRefused(Hex("0010 616263"), (ref KafkaReader r) => r.ReadString(false));

    [Test]
    public void ReadString_CompactLongerThanShortRange_Throws() =>
        AssertRefused([.. Hex("8280 02"), .. new byte[40000]], (ref KafkaReader r) => r.ReadString(true));

    [Test]
    public void ReadString_InvalidUtf8_Throws() =>
        AssertRefused(Hex("0002 c328"), (ref KafkaReader r) => r.ReadString(false));

    [Test]
    public void ReadString_Null_ThrowsWhereNotNullable() =>
        AssertRefused(Hex("00"), (ref KafkaReader r) => r.ReadString(true));

    [TestCase("fffffffe")]
    [TestCase("7fffffff")]
    public void ReadBytesAndRecords_BadLength_Throw(string hex)
    {
        AssertRefused(Hex(hex + "00"), (ref KafkaReader r) => r.ReadNullableBytes(false));
        AssertRefused(Hex(hex + "00"), (ref KafkaReader r) => r.ReadRecords(false));
    }

    [TestCase("8080808080")]
    [TestCase("ffffffff10")]
    [TestCase("8080")]
    public void ReadUVarInt_TooLongOverflowingOrTruncated_Throws(string hex) =>
        AssertRefused(Hex(hex), (ref KafkaReader r) => r.ReadUVarInt());

    [TestCase("8080808080808080808080")]
    [TestCase("ffffffffffffffffff02")]
    public void ReadUVarLong_TooLongOrOverflowing_Throws(string hex) =>
        AssertRefused(Hex(hex), (ref KafkaReader r) => r.ReadUVarLong());

    [Test]
    public void SkipTaggedFields_SkipsUnknownFields()
    {
        var reader = new KafkaReader(new ReadOnlySequence<byte>(Hex("02 00 02 aabb 05 01 cc 7f")));
        reader.SkipTaggedFields();
        Assert.That(reader.ReadInt8(), Is.EqualTo(0x7f));
    }

    [TestCase("01 00 05 aabb")]
    [TestCase("ffffffff0f")]
    [TestCase("02 00 00")]
    public void SkipTaggedFields_SizeOrCountBeyondRemaining_Throws(string hex) =>
        AssertRefused(Hex(hex), (ref KafkaReader r) => r.SkipTaggedFields());

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(8)]
    public void Primitives_Truncated_Throw(int available)
    {
        byte[] bytes = new byte[available - 1];
        AssertRefused(bytes, (ref KafkaReader r) =>
        {
            _ = available switch { 1 => r.ReadInt8(), 2 => r.ReadInt16(), _ => r.ReadInt64() };
        });
    }
}
