using CsCheck;
using LogStore;
using LogStore.Records;

namespace LogStore.Tests.Records;

[TestFixture]
public sealed class VarIntTests
{
    [TestCase(0, new byte[] { 0x00 })]
    [TestCase(-1, new byte[] { 0x01 })]
    [TestCase(1, new byte[] { 0x02 })]
    [TestCase(63, new byte[] { 0x7E })]
    [TestCase(-64, new byte[] { 0x7F })]
    [TestCase(64, new byte[] { 0x80, 0x01 })]
    [TestCase(-65, new byte[] { 0x81, 0x01 })]
    [TestCase(int.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F })]
    [TestCase(int.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void WriteVarInt_KnownValue_WritesKafkaEncoding(int value, byte[] expected)
    {
        byte[] buffer = new byte[VarInt.MaxVarIntLength];
        int position = 0;

        VarInt.WriteVarInt(buffer, ref position, value);

        Assert.That(buffer[..position], Is.EqualTo(expected));
        Assert.That(VarInt.SizeOfVarInt(value), Is.EqualTo(expected.Length));
        int read = 0;
        Assert.That(VarInt.ReadVarInt(expected, ref read), Is.EqualTo(value));
        Assert.That(read, Is.EqualTo(expected.Length));
    }

    [TestCase(0L, new byte[] { 0x00 })]
    [TestCase(-1L, new byte[] { 0x01 })]
    [TestCase(64L, new byte[] { 0x80, 0x01 })]
    [TestCase(long.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    [TestCase(long.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    public void WriteVarLong_KnownValue_WritesKafkaEncoding(long value, byte[] expected)
    {
        byte[] buffer = new byte[VarInt.MaxVarLongLength];
        int position = 0;

        VarInt.WriteVarLong(buffer, ref position, value);

        Assert.That(buffer[..position], Is.EqualTo(expected));
        Assert.That(VarInt.SizeOfVarLong(value), Is.EqualTo(expected.Length));
        int read = 0;
        Assert.That(VarInt.ReadVarLong(expected, ref read), Is.EqualTo(value));
        Assert.That(read, Is.EqualTo(expected.Length));
    }

    [Test]
    public void VarInt_RandomValues_RoundTripInShortestForm()
    {
        Gen.Int.Sample(value =>
        {
            byte[] buffer = new byte[VarInt.MaxVarIntLength];
            int position = 0;
            VarInt.WriteVarInt(buffer, ref position, value);
            Assert.That(position, Is.EqualTo(VarInt.SizeOfVarInt(value)));
            Assert.That(position == 1 || buffer[position - 1] != 0, Is.True, "no trailing zero group");
            Assert.That(VarInt.TryReadVarInt(buffer.AsSpan(0, position), out int read, out int bytes), Is.True);
            Assert.That((read, bytes), Is.EqualTo((value, position)));
        }, iter: 5000);
    }

    [Test]
    public void VarLong_RandomValues_RoundTripInShortestForm()
    {
        Gen.Long.Sample(value =>
        {
            byte[] buffer = new byte[VarInt.MaxVarLongLength];
            int position = 0;
            VarInt.WriteVarLong(buffer, ref position, value);
            Assert.That(position, Is.EqualTo(VarInt.SizeOfVarLong(value)));
            Assert.That(position == 1 || buffer[position - 1] != 0, Is.True, "no trailing zero group");
            Assert.That(VarInt.TryReadVarLong(buffer.AsSpan(0, position), out long read, out int bytes), Is.True);
            Assert.That((read, bytes), Is.EqualTo((value, position)));
        }, iter: 5000);
    }

    [Test]
    public void ReadVarInt_SixByteEncoding_IsRejectedAsOverlong()
    {
        byte[] overlong = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];

        Assert.That(VarInt.TryReadVarInt(overlong, out _, out int bytesRead), Is.False);
        Assert.That(bytesRead, Is.Zero);
        int position = 0;
        Assert.That(() => VarInt.ReadVarInt(overlong, ref position), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("longer"));
    }

    [Test]
    public void ReadVarLong_ElevenByteEncoding_IsRejectedAsOverlong()
    {
        byte[] overlong = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];

        Assert.That(VarInt.TryReadVarLong(overlong, out _, out _), Is.False);
        int position = 0;
        Assert.That(() => VarInt.ReadVarLong(overlong, ref position), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("longer"));
    }

    [Test]
    public void ReadVarInt_TruncatedInput_IsRejected()
    {
        byte[] full = [0xFE, 0xFF, 0xFF, 0xFF, 0x0F];
        for (int length = 0; length < full.Length; length++)
        {
            Assert.That(VarInt.TryReadVarInt(full.AsSpan(0, length), out _, out _), Is.False, $"length {length}");
            int position = 0;
            byte[] truncated = full[..length];
            Assert.That(() => VarInt.ReadVarInt(truncated, ref position), Throws.TypeOf<CorruptRecordException>().With.Message.Contains("past the end"));
        }
    }

    [Test]
    public void ReadVarLong_TruncatedInput_IsRejected()
    {
        byte[] full = [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        for (int length = 0; length < full.Length; length++)
        {
            int position = 0;
            byte[] truncated = full[..length];
            Assert.That(() => VarInt.ReadVarLong(truncated, ref position), Throws.TypeOf<CorruptRecordException>());
        }
    }

    [Test]
    public void ReadVarInt_PositionPastEnd_Throws()
    {
        int position = 3;
        Assert.That(() => VarInt.ReadVarInt(new byte[] { 0, 0 }, ref position), Throws.TypeOf<CorruptRecordException>());
    }
}
