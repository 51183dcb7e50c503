using System.Globalization;
using System.Text;
using LogStore.Storage.Files;

namespace LogStore.Storage.Checkpoints;

/// <summary>
/// A checkpoint file in Kafka's text format: a version line, a count line, then one entry per line, each line ending
/// in <c>\n</c> (Kafka's <c>CheckpointFile</c>). The file is always written whole and replaced atomically through the
/// store's file layer (temporary file, fsync, rename, directory fsync; never through a link), so after a crash it is
/// either the previous or the new version.
/// </summary>
/// <remarks>Thread-safety: none; each owner serialises its reads and writes.</remarks>
internal sealed class CheckpointFile<T>(FileSystem files, string path, int version, ICheckpointEntryFormatter<T> formatter)
{
    public string Path { get; } = path;

    /// <summary>Replaces the file with <paramref name="entries"/>, in their order.</summary>
    /// <exception cref="StorageException">The file could not be written (a full disk, an I/O error); the previous version stays.</exception>
    public void Write(IReadOnlyCollection<T> entries) => DurableFile.WriteAtomically(files, Path, Format(version, entries, formatter));

    /// <summary>As <see cref="Write"/> but without any fsync: a process crash leaves the old or the new file, a power loss
    /// may also leave the new name with no bytes, which <see cref="Read"/> reports as corrupt. <see cref="Sync"/> makes it
    /// durable.</summary>
    /// <exception cref="StorageException">The file could not be written; the previous version stays.</exception>
    public void WriteUnsynced(IReadOnlyCollection<T> entries) =>
        DurableFile.WriteAtomically(files, Path, Encoding.UTF8.GetBytes(Format(version, entries, formatter)), fsyncFile: false, fsyncDirectory: false);

    /// <summary>fsyncs the file, then its directory.</summary>
    /// <exception cref="StorageException">An fsync failed, or the file is gone or a link.</exception>
    public void Sync()
    {
        DurableFile.Fsync(files, Path);
        DurableFile.FsyncDirectory(files, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
    }

    /// <summary>The text <see cref="Write"/> writes.</summary>
    public static string Format(int version, IReadOnlyCollection<T> entries, ICheckpointEntryFormatter<T> formatter)
    {
        var text = new StringBuilder();
        text.Append(version.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (T entry in entries)
            text.Append(formatter.Format(entry)).Append('\n');
        return text.ToString();
    }

    /// <summary>The entries, or null when the file does not exist.</summary>
    /// <exception cref="CorruptCheckpointException">The file cannot be read, or is not in the format (an unknown version,
    /// a count that disagrees with the entries, a line that is no entry): the caller rebuilds what it held.</exception>
    /// <exception cref="StorageException">A link or a directory stands at the path: its target's numbers are not ours.</exception>
    public List<T>? Read()
    {
        string[]? lines;
        try
        {
            lines = StoreFile.ReadAllLinesIfExists(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorruptCheckpointException($"Cannot read the checkpoint: {e.Message}", Path, e);
        }
        return lines is null ? null : Parse(lines, version, formatter, Path);
    }

    /// <summary>Parses the lines of a checkpoint file.</summary>
    /// <exception cref="CorruptCheckpointException">They are not in the format.</exception>
    public static List<T> Parse(string[] lines, int version, ICheckpointEntryFormatter<T> formatter, string path)
    {
        if (lines.Length < 2)
            throw new CorruptCheckpointException("The checkpoint is truncated: no version and count lines", path);
        if (!int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int found) || found != version)
            throw new CorruptCheckpointException($"Unrecognised checkpoint version '{Shorten(lines[0])}' (expected {version})", path);
        if (!int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != lines.Length - 2)
            throw new CorruptCheckpointException($"The checkpoint's count '{Shorten(lines[1])}' disagrees with its {lines.Length - 2} entry lines", path);
        var entries = new List<T>(count);
        for (int i = 2; i < lines.Length; i++)
        {
            if (!formatter.TryParse(lines[i], out T entry))
                throw new CorruptCheckpointException($"Line {i + 1} of the checkpoint is not an entry: '{Shorten(lines[i])}'", path);
            entries.Add(entry);
        }
        return entries;
    }

    // A garbage file may hold one huge line: the message quotes only its start.
    private static string Shorten(string line) => line.Length <= 64 ? line : line[..64] + "…";
}
