using System.Globalization;

namespace LogStore.Storage.Checkpoints;

/// <summary>
/// The entries of Kafka's per-data-directory offset checkpoints (<c>cleaner-offset-checkpoint</c>,
/// <c>recovery-point-offset-checkpoint</c>, <c>log-start-offset-checkpoint</c>, <c>replication-offset-checkpoint</c>):
/// <c>&lt;topic&gt; &lt;partition&gt; &lt;offset&gt;</c>, version 0 (Kafka's <c>OffsetCheckpointFile</c>).
/// The parser checks only the shape of a line; whether the topic, partition and offset make sense for the store is
/// the caller's to judge.
/// </summary>
internal sealed class OffsetCheckpointFile : ICheckpointEntryFormatter<KeyValuePair<TopicPartition, long>>
{
    public const int Version = 0;

    public static readonly OffsetCheckpointFile Formatter = new();

    private OffsetCheckpointFile()
    {
    }

    public string Format(KeyValuePair<TopicPartition, long> entry) =>
        string.Create(CultureInfo.InvariantCulture, $"{entry.Key.Topic} {entry.Key.Partition} {entry.Value}");

    public bool TryParse(string line, out KeyValuePair<TopicPartition, long> entry)
    {
        entry = default;
        string[] parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0
            || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int partition)
            || !long.TryParse(parts[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long offset))
        {
            return false;
        }
        entry = new(new TopicPartition(parts[0], partition), offset);
        return true;
    }

    /// <summary>The checkpoint file at <paramref name="path"/>.</summary>
    public static CheckpointFile<KeyValuePair<TopicPartition, long>> Open(Files.FileSystem files, string path) =>
        new(files, path, Version, Formatter);
}
