using BenchmarkDotNet.Attributes;
using LogStore.Storage.Indexing;

namespace LogStore.Benchmarks;

/// <summary>
/// Lookups in a segment's memory-mapped indexes (<see cref="OffsetIndex"/> and <see cref="TimeIndex"/>: a binary
/// search under the index's lock), 1,024 random targets per operation, for an index of <see cref="Entries"/> entries:
/// 1,000, 100,000, and 262,144 (a full 1 GiB segment at index.interval.bytes 4 KiB, the defaults: the largest index
/// a default segment gets). Entries are spaced as a segment of 16 KiB batches of 100-byte records would have them
/// (one per 4 KiB written: an offset every 37 records, a position every 4,096 bytes). Records/s is lookups per second.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class IndexLookupBenchmarks
{
    public const int Lookups = 1024;
    private const int MaxIndexBytes = 10 << 20;
    private const long BaseOffset = 1_000_000;
    private const int OffsetsPerEntry = 37;
    private const long BaseTimestamp = 1_700_000_000_000;

    private string? _directory;
    private OffsetIndex? _offsetIndex;
    private TimeIndex? _timeIndex;
    private long[] _offsets = [];
    private long[] _timestamps = [];

    [Params(1_000, 100_000, 262_144)]
    public int Entries { get; set; }

    public static WorkPerOperation DescribeWork(string method, int recordSize) => new(Lookups, 0, Lookups);

    [GlobalSetup]
    public void GlobalSetup()
    {
        _directory = Workload.NewTempDirectory("index");
        string name = BaseOffset.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
        _offsetIndex = new OffsetIndex(Path.Combine(_directory, name + ".index"), BaseOffset, MaxIndexBytes, writable: true);
        // A time index entry is 12 bytes: size it so that it holds as many entries as the offset index.
        _timeIndex = new TimeIndex(Path.Combine(_directory, name + ".timeindex"), BaseOffset, (Entries + 2) * TimeIndex.Size, writable: true);
        for (int i = 1; i <= Entries; i++)
        {
            long offset = BaseOffset + (long)i * OffsetsPerEntry;
            _offsetIndex.Append(offset, i * 4096);
            _timeIndex.MaybeAppend(BaseTimestamp + i, offset);
        }
        var random = new Random(42);
        long lastOffset = BaseOffset + (long)Entries * OffsetsPerEntry;
        _offsets = [.. Enumerable.Range(0, Lookups).Select(_ => random.NextInt64(BaseOffset, lastOffset + OffsetsPerEntry))];
        _timestamps = [.. Enumerable.Range(0, Lookups).Select(_ => random.NextInt64(BaseTimestamp, BaseTimestamp + Entries + 1))];
        if (_offsetIndex.Entries != Entries || _timeIndex.Entries != Entries)
            throw new InvalidOperationException($"Built {_offsetIndex.Entries} / {_timeIndex.Entries} entries, expected {Entries}.");
    }

    /// <summary>The position to start reading at for an offset: what every fetch does first in its segment.</summary>
    [Benchmark(Baseline = true)]
    public long OffsetIndexLookup()
    {
        OffsetIndex index = _offsetIndex!;
        long sum = 0;
        foreach (long offset in _offsets)
            sum += index.Lookup(offset).Position;
        return sum;
    }

    /// <summary>The offset to start scanning at for a timestamp: OffsetForTimestamp's first step in a segment.</summary>
    [Benchmark]
    public long TimeIndexLookup()
    {
        TimeIndex index = _timeIndex!;
        long sum = 0;
        foreach (long timestamp in _timestamps)
            sum += index.Lookup(timestamp).Offset;
        return sum;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _offsetIndex?.Dispose();
        _timeIndex?.Dispose();
        Workload.DeleteDirectory(_directory);
    }
}
