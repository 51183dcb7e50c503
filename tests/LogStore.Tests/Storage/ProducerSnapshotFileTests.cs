using System.Buffers.Binary;
using LogStore.Records;
using LogStore.Storage.Producers;

namespace LogStore.Tests.Storage;

/// <summary>The snapshot file is Kafka's ProducerStateManager version 1 layout byte for byte, and anything that is not a
/// whole snapshot of that layout is refused with a reason rather than read.</summary>
public sealed class ProducerSnapshotFileTests
{
    private static readonly ProducerSnapshotEntry Entry = new(0x0102030405060708, 7, 41, 1_000, 4, 1_700_000_000_123);

    [Test]
    public void Encode_OneEntry_IsKafkasVersion1Layout()
    {
        byte[] bytes = ProducerSnapshotFile.Encode([Entry]);

        var expected = new byte[10 + 46];
        BinaryPrimitives.WriteInt16BigEndian(expected, 1);
        BinaryPrimitives.WriteInt32BigEndian(expected.AsSpan(6), 1);
        Span<byte> e = expected.AsSpan(10);
        BinaryPrimitives.WriteInt64BigEndian(e, 0x0102030405060708);
        BinaryPrimitives.WriteInt16BigEndian(e[8..], 7);
        BinaryPrimitives.WriteInt32BigEndian(e[10..], 41);
        BinaryPrimitives.WriteInt64BigEndian(e[14..], 1_000);
        BinaryPrimitives.WriteInt32BigEndian(e[22..], 4);
        BinaryPrimitives.WriteInt64BigEndian(e[26..], 1_700_000_000_123);
        BinaryPrimitives.WriteInt32BigEndian(e[34..], -1);
        BinaryPrimitives.WriteInt64BigEndian(e[38..], -1);
        BinaryPrimitives.WriteUInt32BigEndian(expected.AsSpan(2), Crc32C.Compute(expected.AsSpan(6)));
        Assert.That(bytes, Is.EqualTo(expected));
    }

    [Test]
    public void Decode_WhatEncodeWrote_GivesTheEntriesBack()
    {
        ProducerSnapshotEntry[] entries = [Entry, Entry with { ProducerId = 9, LastOffset = -1, LastSequence = -1, Timestamp = -1 }];

        List<ProducerSnapshotEntry>? decoded = ProducerSnapshotFile.Decode(ProducerSnapshotFile.Encode(entries), out string? problem);

        Assert.That(problem, Is.Null);
        Assert.That(decoded, Is.EqualTo(entries));
        Assert.That(ProducerSnapshotFile.Decode(ProducerSnapshotFile.Encode([]), out _), Is.Empty);
    }

    [TestCase(0, "shorter than")]
    [TestCase(9, "shorter than")]
    [TestCase(30, "claims 1 producer entries")]
    [TestCase(55, "claims 1 producer entries")]
    public void Decode_ShortFile_IsRefused(int length, string reason)
    {
        byte[] bytes = ProducerSnapshotFile.Encode([Entry])[..length];

        Assert.That(ProducerSnapshotFile.Decode(bytes, out string? problem), Is.Null);
        Assert.That(problem, Does.Contain(reason));
    }

    [Test]
    public void Decode_AnyFlippedBit_IsRefused()
    {
        byte[] good = ProducerSnapshotFile.Encode([Entry]);
        for (int bit = 0; bit < good.Length * 8; bit++)
        {
            byte[] bytes = (byte[])good.Clone();
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.That(ProducerSnapshotFile.Decode(bytes, out string? problem), Is.Null, $"bit {bit} flipped was not noticed");
            Assert.That(problem, Is.Not.Null);
        }
    }

    [Test]
    public void Decode_AnotherVersion_IsRefused()
    {
        byte[] bytes = ProducerSnapshotFile.Encode([Entry]);
        BinaryPrimitives.WriteInt16BigEndian(bytes, 2);

        Assert.That(ProducerSnapshotFile.Decode(bytes, out string? problem), Is.Null);
        Assert.That(problem, Does.Contain("version is 2"));
    }
}
