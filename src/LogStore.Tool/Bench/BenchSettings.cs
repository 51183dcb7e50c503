namespace LogStore.Tool.Bench;

/// <summary>What <c>bench</c> runs.</summary>
/// <param name="Records">Records produced, then consumed.</param>
/// <param name="ValueSize">Bytes per value; records have no key.</param>
/// <param name="Partitions">Partitions of the scratch topic.</param>
/// <param name="Compression">The producer's codec.</param>
/// <param name="Keep">Keep the scratch topic afterwards.</param>
internal sealed record BenchSettings(long Records, int ValueSize, int Partitions, CompressionType Compression, bool Keep);

/// <summary>One measured phase.</summary>
/// <param name="Name">produce or consume.</param>
/// <param name="Records">Records moved.</param>
/// <param name="Bytes">Value bytes moved.</param>
/// <param name="Elapsed">Wall-clock time of the phase.</param>
internal sealed record BenchPhase(string Name, long Records, long Bytes, TimeSpan Elapsed)
{
    public double RecordsPerSecond => Records / Math.Max(Elapsed.TotalSeconds, 1e-9);

    public double MegabytesPerSecond => Bytes / 1e6 / Math.Max(Elapsed.TotalSeconds, 1e-9);
}
