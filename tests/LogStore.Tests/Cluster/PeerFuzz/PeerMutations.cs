using System.Buffers.Binary;

namespace LogStore.Tests.Cluster.PeerFuzz;

/// <summary>
/// Breaks a whole frame (size prefix included) as a broken or hostile peer would: bit flips, bytes set to the edges
/// of their range, truncation, runs inserted or deleted, a 4-byte field (a length, a count, an epoch, an id) replaced
/// by an edge value, an overlong or unterminated varint spliced in, and the size prefix itself made smaller, larger,
/// negative or huge. Seeded by the caller's generator; never returns the frame unchanged by accident of a no-op
/// (a mutation that changes nothing is simply one more valid frame).
/// </summary>
internal static class PeerMutations
{
    private static readonly int[] EdgeInts = [0, -1, 1, int.MaxValue, int.MinValue, 0x7FFF, 0x8000, 0xFFFF, 100 << 20, (100 << 20) + 1];

    public static byte[] Mutate(byte[] frame, Random random)
    {
        var bytes = new List<byte>(frame);
        int steps = 1 + random.Next(random.Next(4) == 0 ? 8 : 3);
        for (int s = 0; s < steps; s++)
        {
            // The header and the first fields carry the ids and epochs: mutate there more often.
            int at = random.Next(2) == 0 ? random.Next(Math.Min(bytes.Count, 40) + 1) : random.Next(bytes.Count + 1);
            int last = Math.Min(at, bytes.Count - 1);
            switch (random.Next(9))
            {
                case 0 when bytes.Count > 0:
                    bytes[last] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[last] = (byte)(random.Next(4) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x7F, _ => 0x80 });
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 9), bytes.Count - at));
                    break;
                case 5 when bytes.Count >= 4:
                    SetInt(bytes, Math.Min(at, bytes.Count - 4), EdgeInts[random.Next(EdgeInts.Length)]);
                    break;
                case 6:
                    // An unterminated (0xFF...) or overlong (0x80 ... 0x00) varint.
                    byte[] varint = random.Next(2) == 0 ? [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] : [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
                    bytes.InsertRange(at, varint.AsSpan(0, random.Next(1, varint.Length + 1)).ToArray());
                    break;
                case 7 when bytes.Count >= 4:
                    SetInt(bytes, 0, SizePrefix(bytes.Count - 4, random));
                    break;
                default:
                    // A duplicated run: a repeated array element or a repeated header.
                    if (bytes.Count > 0)
                    {
                        int from = random.Next(bytes.Count);
                        bytes.InsertRange(at, bytes.GetRange(from, Math.Min(random.Next(1, 33), bytes.Count - from)));
                    }
                    break;
            }
        }
        return [.. bytes];
    }

    private static int SizePrefix(int actual, Random random) => random.Next(6) switch
    {
        0 => actual - 1 - random.Next(Math.Max(1, actual)),
        1 => actual + 1 + random.Next(64),
        2 => -1 - random.Next(1000),
        3 => int.MaxValue,
        4 => random.Next(8),
        _ => (100 << 20) + random.Next(2),
    };

    private static void SetInt(List<byte> bytes, int at, int value)
    {
        Span<byte> span = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(span, value);
        for (int i = 0; i < 4; i++)
            bytes[at + i] = span[i];
    }
}
