using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LogStore.Compare;

/// <summary>
/// The physical limits an aim is judged against, measured in the run itself (at its start and end, since the disk of
/// a shared machine changes from hour to hour): the data disk's sequential write with <c>dd oflag=direct</c> (1 MiB
/// blocks, fsynced, nothing cached), one core's memcpy, and the cores the process may use.
/// </summary>
internal sealed partial record MachineLimits(double? DiskDirectMBps, double MemcpyGBps, int Cores)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"disk {(DiskDirectMBps is double d ? $"{d:N0} MB/s" : "not measured")} (dd oflag=direct), memcpy {MemcpyGBps:0.0} GB/s on one core, {Cores} cores");

    /// <summary>Measures the limits; <paramref name="ddBytes"/> bytes go to a file under <paramref name="dataRoot"/>,
    /// deleted afterwards.</summary>
    public static MachineLimits Measure(string dataRoot, long ddBytes) =>
        new(DirectWrite(Scratch.NewDirectory("dd"), ddBytes), Memcpy(), Environment.ProcessorCount);

    /// <summary>MB/s of <c>dd if=/dev/zero of=FILE bs=1M oflag=direct conv=fsync</c>, or null where dd or O_DIRECT
    /// is missing (the run goes on without it).</summary>
    private static double? DirectWrite(string directory, long bytes)
    {
        try
        {
            var info = new ProcessStartInfo("dd", ["if=/dev/zero", $"of={Path.Combine(directory, "dd.out")}", "bs=1M",
                F($"count={Math.Max(1, bytes >> 20)}"), "oflag=direct", "conv=fsync"]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using Process? dd = Process.Start(info);
            if (dd is null)
                return null;
            string report = dd.StandardError.ReadToEnd();
            dd.WaitForExit();
            // "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.486686 s, 2.2 GB/s": computed again from bytes and seconds.
            Match m = DdSummary().Match(report);
            return dd.ExitCode == 0 && m.Success
                ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) / double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) / 1e6
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        finally
        {
            Scratch.Delete(directory);
        }
    }

    /// <summary>GB/s of one thread copying 256 MiB between two buffers (the best of five, after a first touch).</summary>
    private static double Memcpy()
    {
        const int Size = 256 << 20;
        byte[] from = GC.AllocateUninitializedArray<byte>(Size), to = GC.AllocateUninitializedArray<byte>(Size);
        from.AsSpan().Fill(1);
        to.AsSpan().Clear();
        double best = 0;
        for (int i = 0; i < 5; i++)
        {
            long start = Stopwatch.GetTimestamp();
            from.AsSpan().CopyTo(to);
            best = Math.Max(best, Size / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
        }
        return best;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(\d+) bytes .*copied, ([0-9.]+) s")]
    private static partial Regex DdSummary();
}
