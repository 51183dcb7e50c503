using System.Globalization;
using System.Text;
using LogStore.Storage.Files;

namespace LogStore.Retention;

/// <summary>
/// The data directory's <c>cleaner-offset-checkpoint</c> (Kafka's file of that name): for each compacted partition, the
/// first dirty offset — everything below it was cleaned by the last compaction.
/// </summary>
/// <remarks>
/// <para>Format, as Kafka's checkpoint files: a version line <c>0</c>, a count line, then one
/// <c>&lt;topic&gt; &lt;partition&gt; &lt;offset&gt;</c> line per partition.</para>
/// <para>Thread-safety: none; the broker's one <see cref="LogCleaner"/> reads and writes it.</para>
/// <para>After a crash: replaced atomically, so it is the previous or the new version. A missing or unreadable file
/// means "everything is dirty": the next compaction recleans the whole log, which is slower but never wrong, and an
/// offset outside a partition's log (a topic deleted and created again) is clamped to it.</para>
/// </remarks>
internal static class CleanerCheckpoint
{
    public const string FileName = "cleaner-offset-checkpoint";
    private const string Version = "0";

    public static Dictionary<TopicPartition, long> Read(string dataDirectory)
    {
        var offsets = new Dictionary<TopicPartition, long>();
        string path = Path.Combine(dataDirectory, FileName);
        string[] lines;
        try
        {
            if (StoreFile.ReadAllLinesIfExists(path) is not { } read)
                return offsets;
            lines = read;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return offsets;
        }
        if (lines.Length < 2 || lines[0] != Version || !int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || lines.Length != count + 2)
        {
            return offsets;
        }
        for (int i = 2; i < lines.Length; i++)
        {
            string[] parts = lines[i].Split(' ');
            if (parts.Length != 3
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            {
                return [];
            }
            offsets[new TopicPartition(parts[0], partition)] = offset;
        }
        return offsets;
    }

    public static void Write(FileSystem files, string dataDirectory, IReadOnlyDictionary<TopicPartition, long> offsets)
    {
        var text = new StringBuilder();
        text.Append(Version).Append('\n').Append(offsets.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach ((TopicPartition tp, long offset) in offsets.OrderBy(e => e.Key.Topic, StringComparer.Ordinal).ThenBy(e => e.Key.Partition))
            text.Append(CultureInfo.InvariantCulture, $"{tp.Topic} {tp.Partition} {offset}\n");
        DurableFile.WriteAtomically(files, Path.Combine(dataDirectory, FileName), text.ToString());
    }
}
