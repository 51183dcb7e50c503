using System.Globalization;
using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// A partition's <c>partition.checkpoint</c> of earlier versions: what was known flushed (the recovery point) and where
/// the log started, as a version line <c>0</c>, then <c>recovery-point N</c> and <c>log-start-offset N</c>. Read only to
/// migrate a store: the data directory's checkpoint files (<see cref="Checkpoints.DataDirectoryCheckpoints"/>) hold these
/// values now, and the file is deleted once they are durable there. A missing or unreadable one means "recover
/// everything", which is slow but never wrong.
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

    private static bool TryParse(string line, string key, out long value)
    {
        value = 0;
        return line.StartsWith(key + " ", StringComparison.Ordinal)
            && long.TryParse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
