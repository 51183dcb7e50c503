using System.IO.Hashing;
using System.Numerics;

namespace LogStore.Retention;

/// <summary>
/// The cleaner's map from a key to the offset of its latest record (Kafka's SkimpyOffsetMap): keys are stored as
/// their 128-bit XxHash128, so an entry costs 24 bytes whatever the key's size, in one flat open-addressing table
/// with linear probing, allocated once and reused for every partition.
/// </summary>
/// <remarks>
/// <para>Two keys share an entry only if their 128-bit hashes collide (about 2^-64 for four billion keys), the same
/// bet Kafka makes with MD5; the cleaner would then drop the older key's records as superseded.</para>
/// <para>The table is filled to <see cref="MaxEntries"/> (three quarters of its slots) at most, which keeps probes
/// short; the cleaner stops mapping when <see cref="IsFull"/> and cleans the part it mapped.</para>
/// <para>Thread-safety: none; one cleaner owns it. Format: in memory only; nothing survives a crash.</para>
/// </remarks>
internal sealed class OffsetMap
{
    private const int SlotBytes = 24;

    private readonly ulong[] _hashLow;
    private readonly ulong[] _hashHigh;
    private readonly long[] _offsets;
    private readonly int _mask;
    private int _count;

    /// <summary>Creates a map using about <paramref name="memoryBytes"/> bytes (Kafka's log.cleaner.dedupe.buffer.size).</summary>
    public OffsetMap(long memoryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryBytes, SlotBytes * 4L);
        int slots = (int)Math.Min(1 << 30, BitOperations.RoundUpToPowerOf2((ulong)(memoryBytes / SlotBytes) + 1) >> 1);
        _hashLow = new ulong[slots];
        _hashHigh = new ulong[slots];
        _offsets = new long[slots];
        _mask = slots - 1;
        MaxEntries = slots / 4 * 3;
        Clear();
    }

    /// <summary>How many keys the map holds at most.</summary>
    public int MaxEntries { get; }

    /// <summary>Distinct keys mapped.</summary>
    public int Count => _count;

    /// <summary>True when no further key may be added.</summary>
    public bool IsFull => _count >= MaxEntries;

    /// <summary>Forgets every key.</summary>
    public void Clear()
    {
        Array.Fill(_offsets, -1L);
        _count = 0;
    }

    /// <summary>The hash the map stores for <paramref name="key"/>.</summary>
    public static UInt128 Hash(ReadOnlySpan<byte> key) => XxHash128.HashToUInt128(key);

    /// <summary>Records <paramref name="offset"/> as the latest for the key with hash <paramref name="hash"/>; offsets
    /// come in increasing order, so a later one replaces an earlier one.</summary>
    /// <exception cref="InvalidOperationException">The key is new and the map is full.</exception>
    public void Put(UInt128 hash, long offset)
    {
        ulong low = (ulong)hash;
        ulong high = (ulong)(hash >> 64);
        int slot = (int)low & _mask;
        while (true)
        {
            if (_offsets[slot] < 0)
            {
                if (IsFull)
                    throw new InvalidOperationException("The offset map is full.");
                _hashLow[slot] = low;
                _hashHigh[slot] = high;
                _offsets[slot] = offset;
                _count++;
                return;
            }
            if (_hashLow[slot] == low && _hashHigh[slot] == high)
            {
                _offsets[slot] = offset;
                return;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The latest offset recorded for the key with hash <paramref name="hash"/>, or -1.</summary>
    public long Get(UInt128 hash)
    {
        ulong low = (ulong)hash;
        ulong high = (ulong)(hash >> 64);
        int slot = (int)low & _mask;
        while (true)
        {
            long offset = _offsets[slot];
            if (offset < 0)
                return -1;
            if (_hashLow[slot] == low && _hashHigh[slot] == high)
                return offset;
            slot = (slot + 1) & _mask;
        }
    }
}
