using System.Globalization;
using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// A partition's <c>partition.checkpoint</c>: what is known flushed (the recovery point) and where the log starts.
/// Text, in the spirit of Kafka's checkpoint files: a version line <c>0</c>, then <c>recovery-point N</c> and
/// <c>log-start-offset N</c>. Replaced atomically; after a crash it is either the previous or the new version, and a
/// missing or unreadable one means "recover everything", which is slow but never wrong.
/// </summary>
internal static class PartitionCheckpoint
{
    private const string Version = "0";

    public static (long RecoveryPoint, long LogStartOffset)? Read(string partitionDirectory)
    {
        string path = Path.Combine(partitionDirectory, LogFileNames.PartitionCheckpointFile);
        string[] lines;
        try
        {
            // A link is refused (a StorageException, not caught here): its target's numbers are not this partition's.
            if (StoreFile.ReadAllLinesIfExists(path) is not { } read)
                return null;
            lines = read;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (lines.Length != 3 || lines[0] != Version
            || !TryParse(lines[1], "recovery-point", out long recoveryPoint)
            || !TryParse(lines[2], "log-start-offset", out long logStartOffset))
        {
            return null;
        }
        return (recoveryPoint, logStartOffset);
    }

    /// <exception cref="StorageException">The file could not be written (the disk is full, an I/O error); the previous
    /// version stays.</exception>
    public static void Write(FileSystem files, string partitionDirectory, long recoveryPoint, long logStartOffset) =>
        DurableFile.WriteAtomically(files, Path.Combine(partitionDirectory, LogFileNames.PartitionCheckpointFile),
            string.Create(CultureInfo.InvariantCulture, $"{Version}\nrecovery-point {recoveryPoint}\nlog-start-offset {logStartOffset}\n"));

    private static bool TryParse(string line, string key, out long value)
    {
        value = 0;
        return line.StartsWith(key + " ", StringComparison.Ordinal)
            && long.TryParse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
