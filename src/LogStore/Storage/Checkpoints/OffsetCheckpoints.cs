using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage.Checkpoints;

/// <summary>
/// Reading a per-data-directory offset checkpoint defensively: a file that is not in the format is ignored whole (its
/// owner recomputes what it held), and an entry that cannot be ours — a topic name the store would refuse, a negative
/// partition, a negative offset or one past <see cref="MaxOffset"/> — is ignored alone. Both are logged.
/// </summary>
internal static class OffsetCheckpoints
{
    /// <summary>Offsets above this are taken for damage: no log reaches it (a million records a second for 146,000 years).</summary>
    public const long MaxOffset = long.MaxValue / 2;

    /// <summary>The valid entries of the checkpoint <paramref name="fileName"/> in <paramref name="dataDirectory"/>, empty
    /// when it is missing, unreadable or malformed.</summary>
    /// <exception cref="StorageException">A link stands at the path.</exception>
    public static Dictionary<TopicPartition, long> Read(FileSystem files, string dataDirectory, string fileName, ILogger logger)
    {
        var offsets = new Dictionary<TopicPartition, long>();
        List<KeyValuePair<TopicPartition, long>>? entries;
        try
        {
            entries = OffsetCheckpointFile.Open(files, Path.Combine(dataDirectory, fileName)).Read();
        }
        catch (CorruptCheckpointException e)
        {
            StorageLog.CheckpointIgnored(logger, fileName, e.Message);
            return offsets;
        }
        foreach ((TopicPartition tp, long offset) in entries ?? [])
        {
            string? reason = !TopicName.IsValid(tp.Topic) ? "not a valid topic name"
                : tp.Partition < 0 ? "a negative partition"
                : offset is < 0 or > MaxOffset ? "an offset out of range"
                : offsets.ContainsKey(tp) ? "a second entry for the partition"
                : null;
            if (reason is null)
                offsets[tp] = offset;
            else
                StorageLog.CheckpointEntryIgnored(logger, fileName, InvalidTopicException.Printable(tp.Topic), tp.Partition, offset, reason);
        }
        return offsets;
    }

    /// <summary>Replaces the checkpoint <paramref name="fileName"/> with <paramref name="offsets"/>, sorted by topic and partition.</summary>
    /// <exception cref="StorageException">The write failed; the previous version stays.</exception>
    public static void Write(FileSystem files, string dataDirectory, string fileName, IReadOnlyDictionary<TopicPartition, long> offsets) =>
        OffsetCheckpointFile.Open(files, Path.Combine(dataDirectory, fileName))
            .Write([.. offsets.OrderBy(e => e.Key.Topic, StringComparer.Ordinal).ThenBy(e => e.Key.Partition)]);
}
