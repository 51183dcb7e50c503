using LogStore.Storage.Checkpoints;
using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Retention;

/// <summary>
/// The data directory's <c>cleaner-offset-checkpoint</c> (Kafka's file of that name): for each compacted partition, the
/// first dirty offset — everything below it was cleaned by the last compaction.
/// </summary>
/// <remarks>
/// <para>Format: Kafka's offset checkpoint (<see cref="OffsetCheckpointFile"/>): a version line <c>0</c>, a count line,
/// then one <c>&lt;topic&gt; &lt;partition&gt; &lt;offset&gt;</c> line per partition.</para>
/// <para>Thread-safety: none; the broker's one <see cref="LogCleaner"/> reads and writes it.</para>
/// <para>After a crash: replaced atomically, so it is the previous or the new version. A missing or unreadable file
/// means "everything is dirty": the next compaction recleans the whole log, which is slower but never wrong; a hostile
/// entry is ignored and logged, and an offset outside a partition's log (a topic deleted and created again) is clamped
/// to it.</para>
/// </remarks>
internal static class CleanerCheckpoint
{
    public const string FileName = "cleaner-offset-checkpoint";

    /// <exception cref="StorageException">A link stands where the checkpoint should be: its offsets are not ours.</exception>
    public static Dictionary<TopicPartition, long> Read(FileSystem files, string dataDirectory, ILogger logger) =>
        OffsetCheckpoints.Read(files, dataDirectory, FileName, logger);

    public static void Write(FileSystem files, string dataDirectory, IReadOnlyDictionary<TopicPartition, long> offsets) =>
        OffsetCheckpoints.Write(files, dataDirectory, FileName, offsets);
}
