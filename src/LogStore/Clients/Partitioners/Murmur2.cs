using System.Buffers.Binary;

namespace LogStore;

/// <summary>
/// Kafka's murmur2 (MurmurHash2, 32-bit, seed 0x9747b28c), the hash its default partitioner applies to serialized
/// keys: a key lands in the same partition here as with a Java Kafka producer for the same partition count.
/// </summary>
internal static class Murmur2
{
    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>The murmur2 hash of <paramref name="data"/>, as Java's <c>Utils.murmur2</c> returns it (signed).</summary>
    public static int Hash(ReadOnlySpan<byte> data)
    {
        int length = data.Length;
        uint h = Seed ^ (uint)length;
        int blocks = length & ~3;
        for (int i = 0; i < blocks; i += 4)
        {
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            k *= M;
            k ^= k >> R;
            k *= M;
            h *= M;
            h ^= k;
        }

        // The tail bytes fold in highest first, as Java's switch falls through.
        switch (length & 3)
        {
            case 3:
                h ^= (uint)data[blocks + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[blocks + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[blocks];
                h *= M;
                break;
        }

        h ^= h >> 13;
        h *= M;
        h ^= h >> 15;
        return (int)h;
    }

    /// <summary>Kafka's <c>Utils.toPositive</c>: clears the sign bit (not <c>Math.Abs</c>, which fails on int.MinValue).</summary>
    public static int ToPositive(int hash) => hash & 0x7fffffff;

    /// <summary>The partition Kafka's default partitioner gives a non-null key: <c>toPositive(murmur2(key)) % partitionCount</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is not positive.</exception>
    public static int Partition(ReadOnlySpan<byte> keyBytes, int partitionCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return ToPositive(Hash(keyBytes)) % partitionCount;
    }
}
