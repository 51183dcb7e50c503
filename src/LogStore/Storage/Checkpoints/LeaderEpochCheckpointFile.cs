using System.Globalization;
using LogStore.Storage.Epochs;

namespace LogStore.Storage.Checkpoints;

/// <summary>
/// The entries of a partition's <c>leader-epoch-checkpoint</c>: <c>&lt;epoch&gt; &lt;start offset&gt;</c>, version 0
/// (Kafka's <c>LeaderEpochCheckpointFile</c>).
/// </summary>
internal sealed class LeaderEpochCheckpointFile : ICheckpointEntryFormatter<EpochEntry>
{
    public const string FileName = "leader-epoch-checkpoint";
    public const int Version = 0;

    public static readonly LeaderEpochCheckpointFile Formatter = new();

    private LeaderEpochCheckpointFile()
    {
    }

    public string Format(EpochEntry entry) => string.Create(CultureInfo.InvariantCulture, $"{entry.Epoch} {entry.StartOffset}");

    public bool TryParse(string line, out EpochEntry entry)
    {
        entry = default;
        int space = line.IndexOf(' ');
        if (space <= 0
            || !int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
            || !long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long startOffset))
        {
            return false;
        }
        entry = new EpochEntry(epoch, startOffset);
        return true;
    }

    /// <summary>The <c>leader-epoch-checkpoint</c> of the partition in <paramref name="partitionDirectory"/>.</summary>
    public static CheckpointFile<EpochEntry> Open(Files.FileSystem files, string partitionDirectory) =>
        new(files, Path.Combine(partitionDirectory, FileName), Version, Formatter);
}
