using System.Runtime.CompilerServices;
using LogStore;

namespace LogStore.BenchmarkShared;

/// <summary>
/// The span-level read that the read benchmarks (BenchmarkDotNet's and LogStore.Compare's) measure: ReadAsync of
/// fetches from offset 0 to the log end, every record of every batch decoded as views over the fetch buffer (no copy,
/// no allocation per record). Compiled into both benchmark programs, so both measure the same loop.
/// </summary>
internal static class SpanReads
{
    /// <summary>Kafka's max.partition.fetch.bytes: what one ReadAsync asks for.</summary>
    public const int FetchBytes = 1 << 20;

    /// <summary>Reads and decodes the whole partition; returns the key and value bytes seen.</summary>
    public static async ValueTask<long> ReadAllAsync(Partition partition, int fetchBytes = FetchBytes)
    {
        long end = partition.LogEndOffset;
        long offset = 0;
        long valueBytes = 0;
        while (offset < end)
        {
            using FetchResult fetch = await partition.ReadAsync(offset, fetchBytes).ConfigureAwait(false);
            offset = Decode(fetch, ref valueBytes);
        }
        return valueBytes;
    }

    // Not inlined: the decode loop is what is measured, compiled the same way whichever benchmark calls it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Decode(FetchResult fetch, ref long valueBytes)
    {
        long next = -1;
        foreach (RecordBatch batch in fetch)
        {
            foreach (Record record in batch)
                valueBytes += record.Key.Length + record.Value.Length;
            next = batch.NextOffset;
        }
        return next;
    }
}
