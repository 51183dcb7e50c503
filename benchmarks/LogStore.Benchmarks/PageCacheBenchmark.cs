using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/LogStore.Benchmarks -- page-cache [fileMiB] [rounds] [writeSizes]</c>:
/// what the size of each write(2) does to the page cache on this machine, without LogStore. A file is written
/// sequentially in pieces of one size (a producer batch's 16,445 bytes, then larger), then read back while cached:
/// random reads of a batch-sized block (workload 6's read) and sequential 1 MiB reads (a consumer's fetches). The kernel
/// keeps what one write brings in as folios no larger than that write, and reads cost per folio, so the same bytes read
/// faster when they were written in large pieces. Sizes interleaved, median of the rounds.
/// </summary>
internal static class PageCacheBenchmark
{
    private const int BlockBytes = 16_445;   // one 16 KiB producer batch of 100 B records, as workload 6 reads it
    private const int SequentialBytes = 1 << 20;
    private const int RandomReads = 200_000;

    private readonly record struct Sample(double WriteGBps, double RandomReadMicros, double SequentialGBps);

    public static int Run(string[] args)
    {
        long fileBytes = (args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 512) << 20;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        int[] sizes = args.Length > 2
            ? [.. args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))]
            : [BlockBytes, 64 << 10, 256 << 10, 1 << 20];
        string directory = Path.Combine(Path.GetTempPath(), "logstore-page-cache-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var samples = sizes.ToDictionary(s => s, _ => new List<Sample>());
            for (int round = 0; round <= rounds; round++)
            {
                foreach (int size in sizes)
                {
                    Sample sample = Measure(Path.Combine(directory, $"w{size}.bin"), fileBytes, size, seed: round);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{(round == 0 ? "warm-up" : $"round {round}")} write {size,9:N0} B: {sample.WriteGBps:F2} GB/s written, random {BlockBytes:N0} B read {sample.RandomReadMicros:F2} µs, sequential 1 MiB reads {sample.SequentialGBps:F2} GB/s"));
                    if (round > 0)
                        samples[size].Add(sample);
                }
            }
            Console.WriteLine($"| write(2) size ({fileBytes >> 20} MiB file, median of {rounds} rounds) | write into the page cache | random {BlockBytes:N0} B pread (mean) | sequential 1 MiB preads |");
            Console.WriteLine("|---|---|---|---|");
            foreach ((int size, List<Sample> list) in samples)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {size:N0} B | {Median(list, s => s.WriteGBps):F2} GB/s | {Median(list, s => s.RandomReadMicros):F2} µs | {Median(list, s => s.SequentialGBps):F2} GB/s |"));
            }
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Sample Measure(string path, long fileBytes, int writeSize, int seed)
    {
        byte[] data = new byte[Math.Max(writeSize, SequentialBytes)];
        new Random(seed).NextBytes(data);
        double writeGBps;
        using (SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            long start = Stopwatch.GetTimestamp();
            for (long position = 0; position < fileBytes; position += writeSize)
                RandomAccess.Write(handle, data.AsSpan(0, (int)Math.Min(writeSize, fileBytes - position)), position);
            writeGBps = fileBytes / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
            // Durable and clean before the reads, so writeback does not run beside them; the pages stay cached.
            RandomAccess.FlushToDisk(handle);
        }
        using SafeFileHandle reader = File.OpenHandle(path);
        var random = new Random(seed);
        long blocks = fileBytes / BlockBytes;
        long began = Stopwatch.GetTimestamp();
        for (int i = 0; i < RandomReads; i++)
            RandomAccess.Read(reader, data.AsSpan(0, BlockBytes), random.NextInt64(blocks) * BlockBytes);
        double randomMicros = Stopwatch.GetElapsedTime(began).TotalMicroseconds / RandomReads;
        began = Stopwatch.GetTimestamp();
        for (long position = 0; position < fileBytes; position += SequentialBytes)
            RandomAccess.Read(reader, data.AsSpan(0, SequentialBytes), position);
        double sequentialGBps = fileBytes / Stopwatch.GetElapsedTime(began).TotalSeconds / 1e9;
        File.Delete(path);
        return new Sample(writeGBps, randomMicros, sequentialGBps);
    }

    private static double Median(List<Sample> samples, Func<Sample, double> value)
    {
        double[] sorted = [.. samples.Select(value).Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
