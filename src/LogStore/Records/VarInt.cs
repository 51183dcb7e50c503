using System.Numerics;
using System.Runtime.CompilerServices;

namespace LogStore.Records;

/// <summary>
/// Kafka's variable-length integers (its <c>ByteUtils</c>), as in protobuf's sint32/sint64: the value is
/// zig-zag encoded (0, -1, 1, -2 → 0, 1, 2, 3) and then written as base-128 groups, least significant
/// first, with the high bit of each byte set while more bytes follow. A varint takes 1 to 5 bytes, a
/// varlong 1 to 10. Writes always use the shortest form, which is what makes re-encoding byte-exact.
/// </summary>
/// <remarks>
/// Reads refuse input that ends mid-number (truncated) or keeps the continuation bit set past the
/// 5th (varint) or 10th (varlong) byte (overlong). Like Kafka, a read does not insist on the shortest
/// form and ignores the bits of the last byte that do not fit. Stateless and thread-safe.
/// </remarks>
internal static class VarInt
{
    /// <summary>The longest varint: 5 bytes.</summary>
    public const int MaxVarIntLength = 5;

    /// <summary>The longest varlong: 10 bytes.</summary>
    public const int MaxVarLongLength = 10;

    /// <summary>Bytes <paramref name="value"/> takes as a varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOfVarInt(int value)
    {
        uint zigZag = (uint)((value << 1) ^ (value >> 31));
        return (BitOperations.Log2(zigZag | 1) / 7) + 1;
    }

    /// <summary>Bytes <paramref name="value"/> takes as a varlong.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOfVarLong(long value)
    {
        ulong zigZag = (ulong)((value << 1) ^ (value >> 63));
        return (BitOperations.Log2(zigZag | 1) / 7) + 1;
    }

    /// <summary>
    /// Writes <paramref name="value"/> as a varint at <paramref name="position"/> and moves it past the
    /// bytes written. The caller guarantees room for <see cref="SizeOfVarInt"/> bytes.
    /// </summary>
    public static void WriteVarInt(Span<byte> destination, ref int position, int value) =>
        WriteUnsigned(destination, ref position, (uint)((value << 1) ^ (value >> 31)));

    /// <summary>
    /// Writes <paramref name="value"/> as a varlong at <paramref name="position"/> and moves it past the
    /// bytes written. The caller guarantees room for <see cref="SizeOfVarLong"/> bytes.
    /// </summary>
    public static void WriteVarLong(Span<byte> destination, ref int position, long value) =>
        WriteUnsigned(destination, ref position, (ulong)((value << 1) ^ (value >> 63)));

    // Base-128 little-endian groups of an already zig-zagged value (Kafka's ByteUtils.writeUnsignedVarlong).
    private static void WriteUnsigned(Span<byte> destination, ref int position, ulong v)
    {
        int p = position;
        while (v >= 0x80)
        {
            destination[p++] = (byte)(v | 0x80);
            v >>= 7;
        }

        destination[p++] = (byte)v;
        position = p;
    }

    /// <summary>
    /// Reads a varint at the start of <paramref name="source"/>. Returns false, with
    /// <paramref name="bytesRead"/> 0, when the input is truncated or longer than 5 bytes.
    /// </summary>
    public static bool TryReadVarInt(ReadOnlySpan<byte> source, out int value, out int bytesRead)
    {
        // Bits a 5th byte carries beyond 32 fall off, as in Kafka's ByteUtils.readVarint.
        bool ok = TryReadUnsigned(source, MaxVarIntLength, out ulong raw, out bytesRead);
        uint u = (uint)raw;
        value = ok ? (int)(u >> 1) ^ -(int)(u & 1) : 0;
        return ok;
    }

    /// <summary>
    /// Reads a varlong at the start of <paramref name="source"/>. Returns false, with
    /// <paramref name="bytesRead"/> 0, when the input is truncated or longer than 10 bytes.
    /// </summary>
    public static bool TryReadVarLong(ReadOnlySpan<byte> source, out long value, out int bytesRead)
    {
        bool ok = TryReadUnsigned(source, MaxVarLongLength, out ulong raw, out bytesRead);
        value = ok ? (long)(raw >> 1) ^ -(long)(raw & 1) : 0;
        return ok;
    }

    // Reads base-128 groups, at most maxLength bytes; false (bytesRead 0) when truncated or longer.
    private static bool TryReadUnsigned(ReadOnlySpan<byte> source, int maxLength, out ulong raw, out int bytesRead)
    {
        raw = 0;
        int limit = Math.Min(source.Length, maxLength);
        for (int i = 0; i < limit; i++)
        {
            ulong b = source[i];
            raw |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                bytesRead = i + 1;
                return true;
            }
        }

        raw = 0;
        bytesRead = 0;
        return false;
    }

    /// <summary>
    /// Reads a varint at <paramref name="position"/> and moves past it; throws
    /// <see cref="CorruptRecordException"/> when it is truncated or overlong.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarInt(ReadOnlySpan<byte> source, ref int position)
    {
        // Fast paths inline: one byte (values -64..63: counts, small deltas) and two bytes (-8192..8191: every
        // length of a 100-byte record and most offset deltas). Longer ones take the checked slow path.
        int p = position;
        if ((uint)p < (uint)source.Length)
        {
            uint b0 = source[p];
            if (b0 < 0x80)
            {
                position = p + 1;
                return (int)(b0 >> 1) ^ -(int)(b0 & 1);
            }
            if ((uint)(p + 1) < (uint)source.Length && source[p + 1] < 0x80)
            {
                uint raw = (b0 & 0x7F) | ((uint)source[p + 1] << 7);
                position = p + 2;
                return (int)(raw >> 1) ^ -(int)(raw & 1);
            }
        }

        (int value, int next) = ReadVarIntSlow(source, position);
        position = next;
        return value;
    }

    /// <summary>
    /// Reads a varlong at <paramref name="position"/> and moves past it; throws
    /// <see cref="CorruptRecordException"/> when it is truncated or overlong.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadVarLong(ReadOnlySpan<byte> source, ref int position)
    {
        int p = position;
        if ((uint)p < (uint)source.Length && source[p] < 0x80)
        {
            uint b = source[p];
            position = p + 1;
            return (long)(b >> 1) ^ -(long)(b & 1);
        }

        (long value, int next) = ReadVarLongSlow(source, position);
        position = next;
        return value;
    }

    // The slow paths return the value and the next position (in registers) instead of taking the position by
    // reference: a reference passed to a call that is not inlined pins the caller's position to the stack, and every
    // inlined fast-path read of it then went through memory (decoding a 100-byte record took 6 such round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (long Value, int Next) ReadVarLongSlow(ReadOnlySpan<byte> source, int position)
    {
        if ((uint)position > (uint)source.Length || !TryReadVarLong(source[position..], out long value, out int read))
        {
            throw Invalid(source, position, "varlong", MaxVarLongLength);
        }

        return (value, position + read);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (int Value, int Next) ReadVarIntSlow(ReadOnlySpan<byte> source, int position)
    {
        if ((uint)position > (uint)source.Length || !TryReadVarInt(source[position..], out int value, out int read))
        {
            throw Invalid(source, position, "varint", MaxVarIntLength);
        }

        return (value, position + read);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CorruptRecordException Invalid(ReadOnlySpan<byte> source, int position, string kind, int maxLength)
    {
        bool truncated = (uint)position >= (uint)source.Length || source.Length - position < maxLength;
        return new CorruptRecordException(truncated
            ? $"A {kind} at byte {position} of the records runs past the end of its {source.Length}-byte region."
            : $"A {kind} at byte {position} of the records is longer than {maxLength} bytes.");
    }
}
