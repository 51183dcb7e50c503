using System.Globalization;
using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// The commit point of a follower's truncation (<see cref="PartitionLog.TruncateTo"/>), a small file in the partition's
/// directory: <c>truncation.marker</c> holding a version line (<c>0</c>) and one line <c>to &lt;offset&gt;</c> (the log
/// is cut at that offset, a batch boundary) or <c>full &lt;offset&gt;</c> (every segment goes and the log restarts
/// empty there, Kafka's truncateFullyAndStartAt).
/// </summary>
/// <remarks>
/// <para>It is written (atomically, fsynced with its directory) before any file of the log changes, and deleted (with a
/// directory fsync) only once every change is durable. So after a crash at any step, the log is either untouched (no
/// marker yet) or has a marker, which <see cref="LogLoader"/> applies again before anything else — deleting the segments
/// past the offset and cutting the one holding it — so the log ends either where it ended or at the cut, never in
/// between and never on bytes the truncation had begun to remove. Applying it twice cuts nothing more: the offset is a
/// batch boundary and nothing is appended while it exists.</para>
/// <para>Thread-safety: written and deleted under the partition's write lock, read only by the loader.</para>
/// </remarks>
internal readonly record struct TruncationMarker(bool Full, long Offset)
{
    /// <summary>The file's name in the partition directory.</summary>
    public const string FileName = "truncation.marker";

    private const string Version = "0";

    public static string PathIn(string directory) => System.IO.Path.Combine(directory, FileName);

    /// <summary>Writes the marker durably (file and directory fsynced).</summary>
    /// <exception cref="StorageException">It could not be written: nothing of the log has changed.</exception>
    public void Write(FileSystem files, string directory) =>
        DurableFile.WriteAtomically(files, PathIn(directory),
            $"{Version}\n{(Full ? "full" : "to")} {Offset.ToString(CultureInfo.InvariantCulture)}\n");

    /// <summary>Deletes the marker and fsyncs the directory: the truncation is complete.</summary>
    /// <exception cref="StorageException">The delete or the fsync failed.</exception>
    public static void Delete(FileSystem files, string directory)
    {
        string path = PathIn(directory);
        try
        {
            StoreFile.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot delete the truncation marker: {e.Message}", path, e);
        }
        DurableFile.FsyncDirectory(files, directory);
    }

    /// <summary>The marker in <paramref name="directory"/>, or null when there is none.</summary>
    /// <exception cref="StorageException">It cannot be read or makes no sense: the partition must not open on a guess.</exception>
    public static TruncationMarker? Read(string directory)
    {
        string path = PathIn(directory);
        string[]? lines;
        try
        {
            lines = StoreFile.ReadAllLinesIfExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot read the truncation marker: {e.Message}", path, e);
        }
        if (lines is null)
            return null;
        string[] fields = lines.Length == 2 && lines[0] == Version ? lines[1].Split(' ') : [];
        if (fields.Length == 2 && fields[0] is "to" or "full"
            && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
        {
            return new TruncationMarker(fields[0] == "full", offset);
        }
        throw new StorageException("The truncation marker is not 'to <offset>' or 'full <offset>' after version 0: the partition is " +
            "left as it is; remove the file only after checking that no segment holds records past the offset it names.", path);
    }
}
