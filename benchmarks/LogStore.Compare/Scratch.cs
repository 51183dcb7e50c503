namespace LogStore.Compare;

/// <summary>
/// The data directories of the runs: <c>&lt;root&gt;/logstore-compare-&lt;name&gt;-&lt;random&gt;</c>, each deleted as soon as
/// its run ends (50 M records take about 6 GB per system, and the disk is shared).
/// </summary>
internal static class Scratch
{
    private const string Prefix = "logstore-compare-";

    public static string Root { get; set; } = "/tmp";

    public static string NewDirectory(string name)
    {
        string path = Path.Combine(Root, $"{Prefix}{name}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string? path)
    {
        if (path is not null && Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    /// <summary>Removes what an interrupted earlier run of this program left (only its own prefix).</summary>
    public static void DeleteLeftovers()
    {
        if (!Directory.Exists(Root))
            return;
        foreach (string path in Directory.EnumerateDirectories(Root, Prefix + "*"))
            Delete(path);
    }
}
