using BenchmarkDotNet.Attributes;
using LogStore.Records;

namespace LogStore.Benchmarks;

/// <summary>
/// Kafka's zig-zag varint codec (<see cref="VarInt"/>), the inner loop of every record written and read: 4,096 values
/// per operation, written into one buffer and read back. <see cref="Width"/> picks the values: <c>OneByte</c>
/// (-64..63: attributes, small deltas, header counts), <c>TwoBytes</c> (-8192..8191: every length of a 100-byte record,
/// offset deltas of a 16 KiB batch), <c>Mixed</c> (1 to 5 bytes, uniformly: the slow paths). Records/s in the table is
/// values per second.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class VarIntBenchmarks
{
    public const int Values = 4096;

    private int[] _ints = [];
    private long[] _longs = [];
    private byte[] _encodedInts = [];
    private byte[] _encodedLongs = [];
    private byte[] _scratch = [];

    [Params("OneByte", "TwoBytes", "Mixed")]
    public string Width { get; set; } = "OneByte";

    public static WorkPerOperation DescribeWork(string method, int recordSize) => new(Values, 0, Values);

    [GlobalSetup]
    public void GlobalSetup()
    {
        var random = new Random(42);
        _ints = new int[Values];
        _longs = new long[Values];
        for (int i = 0; i < Values; i++)
        {
            (int min, int max) = Width switch
            {
                "OneByte" => (-64, 64),
                "TwoBytes" => (-8192, 8192),
                _ => (int.MinValue, int.MaxValue),
            };
            int value = Width == "Mixed" ? MixedValue(random) : random.Next(min, max);
            _ints[i] = value;
            _longs[i] = Width == "Mixed" ? value * (long)random.Next(1, 1 << 20) : value;
        }
        _scratch = new byte[Values * VarInt.MaxVarLongLength];
        _encodedInts = Encode(_ints, static (d, ref p, v) => VarInt.WriteVarInt(d, ref p, v));
        _encodedLongs = Encode(_longs, static (d, ref p, v) => VarInt.WriteVarLong(d, ref p, v));
    }

    // A width of 1 to 5 bytes chosen uniformly, then a value of that width.
    private static int MixedValue(Random random) => random.Next(5) switch
    {
        0 => random.Next(-64, 64),
        1 => random.Next(-8192, 8192),
        2 => random.Next(-(1 << 20), 1 << 20),
        3 => random.Next(-(1 << 27), 1 << 27),
        _ => random.Next(int.MinValue, int.MaxValue),
    };

    private delegate void Writer<T>(Span<byte> destination, ref int position, T value);

    private static byte[] Encode<T>(T[] values, Writer<T> write)
    {
        var buffer = new byte[values.Length * VarInt.MaxVarLongLength];
        int position = 0;
        foreach (T value in values)
            write(buffer, ref position, value);
        return buffer[..position];
    }

    [Benchmark(Baseline = true)]
    public int WriteVarInt()
    {
        Span<byte> destination = _scratch;
        int position = 0;
        foreach (int value in _ints)
            VarInt.WriteVarInt(destination, ref position, value);
        return position;
    }

    [Benchmark]
    public long ReadVarInt()
    {
        ReadOnlySpan<byte> source = _encodedInts;
        int position = 0;
        long sum = 0;
        for (int i = 0; i < Values; i++)
            sum += VarInt.ReadVarInt(source, ref position);
        return sum;
    }

    /// <summary>The non-throwing reader the batch scanner uses on untrusted bytes.</summary>
    [Benchmark]
    public long TryReadVarInt()
    {
        ReadOnlySpan<byte> source = _encodedInts;
        long sum = 0;
        for (int i = 0; i < Values; i++)
        {
            VarInt.TryReadVarInt(source, out int value, out int read);
            sum += value;
            source = source[read..];
        }
        return sum;
    }

    [Benchmark]
    public int WriteVarLong()
    {
        Span<byte> destination = _scratch;
        int position = 0;
        foreach (long value in _longs)
            VarInt.WriteVarLong(destination, ref position, value);
        return position;
    }

    [Benchmark]
    public long ReadVarLong()
    {
        ReadOnlySpan<byte> source = _encodedLongs;
        int position = 0;
        long sum = 0;
        for (int i = 0; i < Values; i++)
            sum += VarInt.ReadVarLong(source, ref position);
        return sum;
    }

    [Benchmark]
    public int SizeOfVarInt()
    {
        int total = 0;
        foreach (int value in _ints)
            total += VarInt.SizeOfVarInt(value);
        return total;
    }
}
