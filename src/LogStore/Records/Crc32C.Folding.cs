using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LogStore.Records;

/// <summary>
/// CRC32C by folding (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"): a 128-bit piece of the
/// input, multiplied carry-less by x^D mod P, is congruent to the same piece moved D bits on, so four 512-bit
/// accumulators fold the input 256 bytes at a time, then into one, then into 128 bits, whose CRC the crc32 instruction
/// takes. The crc32 instruction's one 8-byte step per cycle bounds the interleaved loop near 21 GB/s; a multiply folds
/// 64 bytes per instruction.
/// </summary>
internal static partial class Crc32C
{
    /// <summary>Inputs from this length fold (four accumulators of <see cref="FoldBlock"/> bytes each).</summary>
    private const int FoldThreshold = 4 * FoldBlock;

    private const int FoldBlock = 64;

    /// <summary>The normal (not reflected) Castagnoli polynomial, x^32 left implicit.</summary>
    private const uint Polynomial = 0x1EDC6F41;

    private static bool CanFold => Pclmulqdq.V512.IsSupported && BitConverter.IsLittleEndian;

    /// <summary>
    /// The fold constants, in a class of their own so that they are computed on the first fold, not with
    /// <see cref="Crc32C"/> (a process without VPCLMULQDQ never pays for them). Per 128-bit lane: the low qword
    /// multiplies the lane's low half (its earlier, higher-degree bits), the high qword its high half.
    /// </summary>
    private static class FoldConstants
    {
        /// <summary>The main loop: each accumulator moves four blocks on.</summary>
        public static readonly Vector512<ulong> FourBlocks = Lanes(4 * FoldBlock * 8, 4 * FoldBlock * 8, 4 * FoldBlock * 8, 4 * FoldBlock * 8);

        /// <summary>Joining the accumulators, and the blocks after the main loop: one block on.</summary>
        public static readonly Vector512<ulong> OneBlock = Lanes(FoldBlock * 8, FoldBlock * 8, FoldBlock * 8, FoldBlock * 8);

        /// <summary>The last vector's lanes moved three, two and one lanes on, onto the fourth.</summary>
        public static readonly Vector512<ulong> LastLanes = Lanes(384, 256, 128, 0);
    }

    /// <summary>Feeds the first <paramref name="length"/> bytes (a multiple of <see cref="FoldBlock"/>, at least
    /// <see cref="FoldThreshold"/>) to the raw register.</summary>
    private static uint Fold(uint register, ref byte start, nuint length)
    {
        // The register joins the input as if it were its first four bytes' XOR, as the reflected CRC defines it.
        Vector512<ulong> x0 = Load(ref start, 0) ^ Vector512.CreateScalar((ulong)register);
        Vector512<ulong> x1 = Load(ref start, FoldBlock);
        Vector512<ulong> x2 = Load(ref start, 2 * FoldBlock);
        Vector512<ulong> x3 = Load(ref start, 3 * FoldBlock);
        nuint i = 4 * FoldBlock;
        Vector512<ulong> k = FoldConstants.FourBlocks;
        for (; i + (4 * FoldBlock) <= length; i += 4 * FoldBlock)
        {
            x0 = FoldInto(x0, k, Load(ref start, i));
            x1 = FoldInto(x1, k, Load(ref start, i + FoldBlock));
            x2 = FoldInto(x2, k, Load(ref start, i + (2 * FoldBlock)));
            x3 = FoldInto(x3, k, Load(ref start, i + (3 * FoldBlock)));
        }

        k = FoldConstants.OneBlock;
        x1 = FoldInto(x0, k, x1);
        x2 = FoldInto(x1, k, x2);
        x3 = FoldInto(x2, k, x3);
        for (; i < length; i += FoldBlock)
        {
            x3 = FoldInto(x3, k, Load(ref start, i));
        }

        Vector512<ulong> lanes = Pclmulqdq.V512.CarrylessMultiply(x3, FoldConstants.LastLanes, 0x00)
            ^ Pclmulqdq.V512.CarrylessMultiply(x3, FoldConstants.LastLanes, 0x11);
        Vector128<ulong> last = lanes.GetLower().GetLower() ^ lanes.GetLower().GetUpper() ^ lanes.GetUpper().GetLower()
            ^ x3.GetUpper().GetUpper();
        // CRC(last) from a zero register: last is congruent to everything folded into it.
        return BitOperations.Crc32C(BitOperations.Crc32C(0u, last.GetElement(0)), last.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> FoldInto(Vector512<ulong> x, Vector512<ulong> k, Vector512<ulong> next) =>
        Pclmulqdq.V512.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.V512.CarrylessMultiply(x, k, 0x11) ^ next;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Load(ref byte start, nuint offset) =>
        Vector512.LoadUnsafe(ref Unsafe.Add(ref start, offset)).AsUInt64();

    /// <summary>Fold constants for moving each lane by the given number of bits (0: a lane left as it is).</summary>
    private static Vector512<ulong> Lanes(int bits0, int bits1, int bits2, int bits3) => Vector512.Create(
        Constant(bits0, 32), Constant(bits0, -32), Constant(bits1, 32), Constant(bits1, -32),
        Constant(bits2, 32), Constant(bits2, -32), Constant(bits3, 32), Constant(bits3, -32));

    /// <summary>x^(bits + adjust) mod P, bit-reflected and shifted left one: the multiplier of a reflected half.</summary>
    private static ulong Constant(int bits, int adjust)
    {
        if (bits == 0)
            return 0;
        ulong remainder = 1;
        for (int n = 0; n < bits + adjust; n++)
        {
            remainder <<= 1;
            if ((remainder >> 32) != 0)
                remainder ^= (1UL << 32) | Polynomial;
        }

        uint reflected = 0;
        for (int bit = 0; bit < 32; bit++)
        {
            reflected |= (uint)((remainder >> bit) & 1) << (31 - bit);
        }

        return (ulong)reflected << 1;
    }
}
