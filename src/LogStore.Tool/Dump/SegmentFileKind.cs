using System.Globalization;

namespace LogStore.Tool.Dump;

/// <summary>Which of a segment's three files a path is, and the base offset its 20-digit name gives (Kafka's naming).</summary>
internal sealed record SegmentFileKind(string Extension, int EntrySize, long? BaseOffset)
{
    public const string Log = ".log";
    public const string Index = ".index";
    public const string TimeIndex = ".timeindex";

    public bool IsLog => Extension == Log;

    /// <summary>Classifies <paramref name="path"/>.</summary>
    /// <exception cref="CommandException">The file does not exist, or is not a .log, .index or .timeindex file.</exception>
    public static SegmentFileKind Of(string path)
    {
        if (!File.Exists(path))
            throw new CommandException(Directory.Exists(path) ? $"'{path}' is a directory, not a segment file" : $"file '{path}' does not exist");
        string extension = Path.GetExtension(path);
        int entrySize = extension switch
        {
            Log => 0,
            Index => 8,
            TimeIndex => 12,
            _ => throw new CommandException($"'{path}' is not a .log, .index or .timeindex file"),
        };
        string stem = Path.GetFileNameWithoutExtension(path);
        long? baseOffset = stem.Length == 20 && long.TryParse(stem, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed)
            ? parsed
            : null;
        return new SegmentFileKind(extension, entrySize, baseOffset);
    }
}
