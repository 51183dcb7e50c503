using System.Globalization;
using LogStore.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// The fuzzer's stored inputs, copied next to the test assembly: Kafka's RecordBatch vectors
/// (tests/testdata/kafka-record-batches) and the corpus of interesting inputs in
/// tests/LogStore.Tests/Reliability/FuzzCorpus/ (named <c>&lt;what&gt;[-cap&lt;bytes&gt;].bin</c>; the cap defaults
/// to 1 MiB). Both are replayed on every run and mutated by the fuzzer. Loaded once; thread-safe.
/// </summary>
internal static class FuzzCorpus
{
    /// <summary>The decompression cap of an input whose name gives none: max.message.bytes' default.</summary>
    public const int DefaultCap = 1 << 20;

    private static readonly Lazy<IReadOnlyList<(string, byte[], int)>> s_vectors = new(LoadVectors);
    private static readonly Lazy<IReadOnlyList<(string, byte[], int)>> s_files = new(LoadFiles);

    /// <summary>Where the corpus files are, beside the test assembly.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Reliability", "FuzzCorpus");

    /// <summary>Where Kafka's vectors are, beside the test assembly.</summary>
    public static string VectorDirectory => Path.Combine(AppContext.BaseDirectory, "testdata", "kafka-record-batches");

    /// <summary>Kafka's vectors, each batch of the 3-batch segment on its own.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes, int Cap)> Vectors => s_vectors.Value;

    /// <summary>The corpus files.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes, int Cap)> Files => s_files.Value;

    private static IReadOnlyList<(string, byte[], int)> LoadVectors()
    {
        var vectors = new List<(string, byte[], int)>();
        if (!System.IO.Directory.Exists(VectorDirectory))
            throw new DirectoryNotFoundException($"Kafka's vectors are missing from the test output: {VectorDirectory} (tests/testdata/kafka-record-batches)");
        foreach (string path in System.IO.Directory.EnumerateFiles(VectorDirectory, "*.bin").Order(StringComparer.Ordinal))
            vectors.Add((Path.GetFileNameWithoutExtension(path), File.ReadAllBytes(path), DefaultCap));
        byte[] log = File.ReadAllBytes(Path.Combine(VectorDirectory, "segment-3-batches.log"));
        for (int at = 0, n = 0; RecordBatch.TryReadSize(log.AsSpan(at), out int size) && at + size <= log.Length; at += size, n++)
            vectors.Add(($"segment-3-batches#{n}", log[at..(at + size)], DefaultCap));
        return vectors;
    }

    private static IReadOnlyList<(string, byte[], int)> LoadFiles()
    {
        var files = new List<(string, byte[], int)>();
        if (!System.IO.Directory.Exists(Directory))
            return files;
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "*.bin").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            int cap = DefaultCap;
            int at = name.LastIndexOf("-cap", StringComparison.Ordinal);
            if (at >= 0 && int.TryParse(name.AsSpan(at + 4), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
                cap = parsed;
            files.Add((name, File.ReadAllBytes(path), cap));
        }
        return files;
    }
}
