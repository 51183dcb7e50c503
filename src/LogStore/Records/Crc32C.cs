using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LogStore.Records;

/// <summary>
/// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of a Kafka RecordBatch v2:
/// it covers the batch from the attributes field (byte 21) to the end. CRC32C("123456789") = 0xE3069283.
/// </summary>
/// <remarks>
/// Uses <see cref="BitOperations.Crc32C(uint, ulong)"/>, which the JIT turns into the hardware crc32
/// instruction (SSE4.2 on x64, CRC32 on Arm64) and falls back to a table elsewhere. Inputs of at
/// least three blocks run three independent CRC streams at once: the instruction has a latency of
/// three cycles but a throughput of one per cycle, so one stream leaves two thirds of the unit idle.
/// The three partial CRCs are then joined with a precomputed "shift by one block" operator. Where the CPU
/// multiplies 512-bit vectors carry-less (AVX-512 VPCLMULQDQ), longer inputs are folded instead (Crc32C.Folding.cs).
/// Stateless and thread-safe.
/// </remarks>
internal static partial class Crc32C
{
    /// <summary>Bytes per stream in one interleaved round (three streams, so 3 × this per round).</summary>
    private const int BlockSize = 256;

    /// <summary>
    /// Shift tables: <c>s_shift[k * 256 + b]</c> is the raw CRC register obtained from the register value
    /// <c>b &lt;&lt; (8k)</c> after feeding <see cref="BlockSize"/> zero bytes. Because the register update
    /// is linear over GF(2), shifting any register is the XOR of the four table entries for its bytes.
    /// </summary>
    private static readonly uint[] s_shift = BuildShiftTable();

    /// <summary>The CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues a CRC32C: <c>Append(Compute(a), b) == Compute(a concatenated with b)</c>.
    /// Pass 0 as <paramref name="crc"/> to start.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    /// <summary>Feeds <paramref name="data"/> to the raw (unconditioned) CRC register <paramref name="register"/>.</summary>
    private static uint Update(uint register, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (CanFold && length >= FoldThreshold)
        {
            i = length & ~(nuint)(FoldBlock - 1);
            register = Fold(register, ref start, i);
        }
        else if (length >= 3 * BlockSize)
        {
            uint[] shift = s_shift;
            nuint rounds = length / (3 * BlockSize);
            for (nuint round = 0; round < rounds; round++)
            {
                // Why: three independent dependency chains keep the crc32 unit busy every cycle.
                uint a = register, b = 0, c = 0;
                nuint end = i + BlockSize;
                for (; i < end; i += 8)
                {
                    a = BitOperations.Crc32C(a, ReadUInt64(ref start, i));
                    b = BitOperations.Crc32C(b, ReadUInt64(ref start, i + BlockSize));
                    c = BitOperations.Crc32C(c, ReadUInt64(ref start, i + 2 * BlockSize));
                }

                // register(A‖B‖C) = shift(shift(a) ^ b) ^ c, since the register update is linear.
                register = Shift(shift, Shift(shift, a) ^ b) ^ c;
                i += 2 * BlockSize;
            }
        }

        for (; i + 8 <= length; i += 8)
        {
            register = BitOperations.Crc32C(register, ReadUInt64(ref start, i));
        }

        if (i + 4 <= length)
        {
            register = BitOperations.Crc32C(register, ReadUInt32(ref start, i));
            i += 4;
        }

        for (; i < length; i++)
        {
            register = BitOperations.Crc32C(register, Unsafe.Add(ref start, i));
        }

        return register;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte start, nuint offset)
    {
        ulong value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
        // The crc32 instruction consumes bytes in memory order, i.e. a little-endian word.
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReadUInt32(ref byte start, nuint offset)
    {
        uint value = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>The register after feeding <see cref="BlockSize"/> zero bytes to <paramref name="register"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] table, uint register) =>
        table[(int)(register & 0xFF)]
        ^ table[256 + (int)((register >> 8) & 0xFF)]
        ^ table[512 + (int)((register >> 16) & 0xFF)]
        ^ table[768 + (int)(register >> 24)];

    private static uint[] BuildShiftTable()
    {
        // Shift each of the 32 single-bit registers by feeding zeros, then combine by linearity.
        Span<uint> bits = stackalloc uint[32];
        for (int bit = 0; bit < 32; bit++)
        {
            uint register = 1u << bit;
            for (int n = 0; n < BlockSize; n += 8)
            {
                register = BitOperations.Crc32C(register, 0UL);
            }

            bits[bit] = register;
        }

        uint[] table = new uint[4 * 256];
        for (int k = 0; k < 4; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint value = 0;
                for (int bit = 0; bit < 8; bit++)
                {
                    if ((b & (1 << bit)) != 0)
                    {
                        value ^= bits[(8 * k) + bit];
                    }
                }

                table[(k * 256) + b] = value;
            }
        }

        return table;
    }
}
