using System.Text;
using CsCheck;
using LogStore.Records;

namespace LogStore.Tests.Records;

[TestFixture]
public sealed class Crc32CTests
{
    [Test]
    public void Compute_CheckString_IsCastagnoliCheckValue()
    {
        Assert.That(Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));
    }

    [Test]
    public void Compute_Empty_IsZero()
    {
        Assert.That(Crc32C.Compute([]), Is.Zero);
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(767)]
    [TestCase(768)]
    [TestCase(769)]
    [TestCase(1536)]
    [TestCase(255)] // below, at and around the 256 bytes where four 64-byte accumulators start folding
    [TestCase(256)]
    [TestCase(257)]
    [TestCase(320)]
    [TestCase(511)]
    [TestCase(512)]
    [TestCase(16_384 + 61)] // a producer's batch: whole 256-byte rounds, a 64-byte block, a tail
    [TestCase(100_000)]
    public void Compute_AroundInterleavingAndFoldingThresholds_MatchesBitwiseReference(int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);

        Assert.That(Crc32C.Compute(data), Is.EqualTo(BitwiseCrc32C(data)));
    }

    [Test]
    public void Compute_RandomInputs_MatchesBitwiseReference()
    {
        Gen.Byte.Array[0, 5000].Sample(data =>
            Assert.That(Crc32C.Compute(data), Is.EqualTo(BitwiseCrc32C(data))), iter: 500);
    }

    [Test]
    public void Append_RandomSplits_EqualsOneShot()
    {
        Gen.Byte.Array[0, 5000].SelectMany(data => Gen.Int[0, data.Length].Select(split => (data, split)))
            .Sample((data, split) =>
            {
                uint first = Crc32C.Compute(data.AsSpan(0, split));
                uint both = Crc32C.Append(first, data.AsSpan(split));
                Assert.That(both, Is.EqualTo(Crc32C.Compute(data)));
            }, iter: 500);
    }

    [Test]
    public void Compute_Unaligned_MatchesBitwiseReference()
    {
        byte[] data = Encoding.ASCII.GetBytes(new string('k', 3000));
        new Random(42).NextBytes(data.AsSpan(0, 2000));
        for (int offset = 0; offset < 9; offset++)
        {
            Assert.That(Crc32C.Compute(data.AsSpan(offset)), Is.EqualTo(BitwiseCrc32C(data.AsSpan(offset))), $"offset {offset}");
        }
    }

    /// <summary>The textbook bit-at-a-time CRC32C: reflected polynomial 0x82F63B78, init and final XOR ~0.</summary>
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }
}
