using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using LogStore.Records;

namespace LogStore.Benchmarks;

/// <summary>
/// LogStore's CRC32C (three interleaved hardware crc32 streams) against the plain one-stream loop over the same
/// instruction (the baseline), on a record-sized buffer, a 16 KiB batch and a 1 MiB fetch. MB/s from the Mean.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class Crc32CBenchmarks
{
    private byte[] _data = [];

    [Params(64, 16 * 1024, 1 << 20)]
    public int Size { get; set; }

    public static WorkPerOperation DescribeWork(string method, int size) => new(0, size, 1);

    [GlobalSetup]
    public void GlobalSetup() => _data = Workload.Value(Size);

    [Benchmark]
    public uint LogStoreCrc32C() => Crc32C.Compute(_data);

    /// <summary>One dependency chain of 8-byte crc32 instructions: bound by the instruction's latency.</summary>
    [Benchmark(Baseline = true)]
    public uint SingleStreamCrc32C()
    {
        ReadOnlySpan<byte> data = _data;
        ref byte start = ref MemoryMarshal.GetReference(data);
        uint crc = ~0u;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref start, i));
        return ~crc;
    }
}
