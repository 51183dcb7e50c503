namespace LogStore.Benchmarks;

/// <summary>
/// The data every benchmark writes and reads, built outside the measured region: one Kafka RecordBatch v2 of
/// at most 16 KiB (Kafka's batch.size) holding records with a null key and a value of the given size, and the
/// same value bytes for FasterLog's one-entry-per-record baseline. Deterministic, so the host process can
/// compute the same work per operation for the throughput columns as the benchmark process measures.
/// </summary>
internal static class Workload
{
    /// <summary>Kafka's default batch.size: the cap on one prebuilt batch.</summary>
    public const int BatchBytes = 16 * 1024;

    /// <summary>A fixed timestamp: every record of a batch shares its millisecond, as a fast producer's do.</summary>
    public const long Timestamp = 1_700_000_000_000;

    /// <summary>FasterLog's per-entry overhead: a 4-byte length header, the entry padded to 4 bytes (no checksum).</summary>
    public static long FasterEntryBytes(int valueSize) => 4 + ((valueSize + 3) & ~3);

    /// <summary>The value bytes of every record: pseudo-random, fixed seed.</summary>
    public static byte[] Value(int size)
    {
        var value = new byte[size];
        new Random(42).NextBytes(value);
        return value;
    }

    /// <summary>The largest batch of <paramref name="valueSize"/>-byte records that fits in <paramref name="maxBytes"/>.</summary>
    public static PrebuiltBatch BuildBatch(int valueSize, int maxBytes = BatchBytes)
    {
        byte[] value = Value(valueSize);
        int count = Math.Max(1, (maxBytes - RecordBatch.HeaderSize) / (valueSize + 4));
        byte[] bytes = Build(value, count);
        while (bytes.Length > maxBytes && count > 1)
            bytes = Build(value, --count);
        while (true)
        {
            byte[] bigger = Build(value, count + 1);
            if (bigger.Length > maxBytes)
                break;
            bytes = bigger;
            count++;
        }
        return new PrebuiltBatch(bytes, count, value);
    }

    /// <summary>A batch of exactly <paramref name="count"/> records of <paramref name="value"/>.</summary>
    public static byte[] Build(byte[] value, int count)
    {
        using var builder = new RecordBatchBuilder(CompressionType.None, BatchBytes);
        for (int i = 0; i < count; i++)
            builder.Append(Timestamp, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
        return builder.Build().Memory.ToArray();
    }

    /// <summary>
    /// Starts this program again with <paramref name="args"/>, waits for the first line it prints that starts with
    /// <c>READY</c>, SIGKILLs it (<see cref="System.Diagnostics.Process.Kill()"/> is SIGKILL on Unix: no finally block, no
    /// dispose, no flush runs in the child) and returns that line.
    /// </summary>
    public static string KillChildWhenReady(params string[] args)
    {
        // Started the way this process was: the apphost directly, or "dotnet LogStore.Benchmarks.dll".
        string self = Environment.ProcessPath!;
        var start = new System.Diagnostics.ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(Workload).Assembly.Location);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using System.Diagnostics.Process child = System.Diagnostics.Process.Start(start)!;
        try
        {
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
            {
                if (!line.StartsWith("READY", StringComparison.Ordinal))
                    continue;
                child.Kill();
                child.WaitForExit();
                return line;
            }
            throw new InvalidOperationException($"The child exited (code {(child.WaitForExit(10_000) ? child.ExitCode : -1)}) before it was ready.");
        }
        finally
        {
            if (!child.HasExited)
                child.Kill();
        }
    }

    /// <summary>A fresh directory under /tmp (the real disk, not /dev/shm).</summary>
    public static string NewTempDirectory(string name)
    {
        string path = Path.Combine("/tmp", $"logstore-bench-{name}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a directory made by <see cref="NewTempDirectory"/>, if it still exists.</summary>
    public static void DeleteDirectory(string? path)
    {
        if (path is not null && Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }
}

/// <summary>A batch's bytes, how many records it holds and the value each record carries.</summary>
internal sealed record PrebuiltBatch(byte[] Bytes, int Records, byte[] Value)
{
    public RecordBatch Parse() => RecordBatch.Parse(Bytes);
}
