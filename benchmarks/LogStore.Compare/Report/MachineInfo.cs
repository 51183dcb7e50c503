using System.Runtime.InteropServices;

namespace LogStore.Compare;

/// <summary>The machine a run measured: the results are only comparable within one run and one machine.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Memory, string Os, string Runtime, string Disk, string Gc, string? Kernel = null)
{
    public static MachineInfo Detect(string dataRoot) => new(
        DetectCpu(),
        Environment.ProcessorCount,
        $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB",
        RuntimeInformation.OSDescription,
        $".NET {Environment.Version} ({RuntimeInformation.ProcessArchitecture})",
        DetectDisk(dataRoot),
        $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {(System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.Batch ? "non-concurrent" : "concurrent")}",
        ReadLine("/proc/sys/kernel/osrelease"));

    public override string ToString() => $"{Cpu}, {Cores} cores, {Memory}; {Os}{(Kernel is null ? "" : ", kernel " + Kernel)}; {Runtime}; GC {Gc}; data on {Disk}";

    /// <summary>The 1/5/15-minute load averages now (/proc/loadavg): the machine may be shared, and a busy one
    /// skews every figure, so the report names the load at the start and the end of the run.</summary>
    public static string? LoadAverage()
    {
        string? line = ReadLine("/proc/loadavg");
        return line is null ? null : string.Join(' ', line.Split(' ').Take(3));
    }

    private static string? ReadLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string DetectCpu()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    /// <summary>The device and file system holding <paramref name="path"/> (the longest mount point above it).</summary>
    private static string DetectDisk(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string[]? best = null;
            foreach (string line in File.ReadLines("/proc/mounts"))
            {
                string[] f = line.Split(' ');
                if (f.Length >= 4 && full.StartsWith(f[1], StringComparison.Ordinal) && (best is null || f[1].Length > best[1].Length))
                    best = f;
            }
            var drive = new DriveInfo(full);
            string free = $"{drive.AvailableFreeSpace / 1e9:0} GB free";
            return best is null ? $"{full} ({free})" : $"{full} on {best[0]} ({best[2]}, {best[3].Split(',').FirstOrDefault(o => o is "relatime" or "noatime") ?? best[3]}), {free}";
        }
        catch (IOException)
        {
            return path;
        }
    }
}
