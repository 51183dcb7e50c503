using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// A partition's <c>partition.metadata</c>: the id of the topic it belongs to, in Kafka's text format (two lines,
/// <c>version: 0</c> and <c>topic_id: &lt;22-character id&gt;</c>, see <see cref="KafkaUuid"/>), so that a partition
/// directory tells which incarnation of its topic name it holds, as Kafka's does. Written once, when the partition is
/// created (or, for a store older than topic ids, at its first writable open), atomically: after a crash it is either
/// absent or whole. Never rewritten: a file that does not parse is damage, reported, never replaced by a new id.
/// Stateless; safe to call from any thread.
/// </summary>
internal static class PartitionMetadataFile
{
    private const string VersionKey = "version";
    private const string TopicIdKey = "topic_id";
    private const string CurrentVersion = "0";
    // The file is about 40 bytes: anything much longer is not one.
    private const int MaxFileBytes = 1024;

    public static string PathOf(string partitionDirectory) => Path.Combine(partitionDirectory, LogFileNames.PartitionMetadataFile);

    /// <summary>The topic id the file holds, or null when there is no file.</summary>
    /// <exception cref="StorageException">The file is a link, unreadable, or not Kafka's format (naming the file).</exception>
    public static Guid? Read(string partitionDirectory)
    {
        string path = PathOf(partitionDirectory);
        string[]? lines;
        try
        {
            // A link is refused (a StorageException): its target would name some other partition's topic.
            if (File.Exists(path) && new FileInfo(path).Length > MaxFileBytes)
                throw Bad(path, $"it is longer than {MaxFileBytes} bytes");
            lines = StoreFile.ReadAllLinesIfExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot read the partition's topic id: {e.Message}", path, e);
        }
        if (lines is null)
            return null;
        // Kafka's reader: "key: value" per line, the key and value separated by a colon and white space.
        if (lines.Length != 2 || !TryValue(lines[0], VersionKey, out string version) || !TryValue(lines[1], TopicIdKey, out string text))
            throw Bad(path, $"expected the two lines '{VersionKey}: {CurrentVersion}' and '{TopicIdKey}: <id>'");
        if (version != CurrentVersion)
            throw Bad(path, $"version {version} is not one LogStore reads (only {CurrentVersion})");
        if (!KafkaUuid.TryParse(text, out Guid id) || id == Guid.Empty)
            throw Bad(path, $"'{text}' is not a topic id (22 characters of URL-safe base64, not all zero)");
        return id;
    }

    /// <summary>Writes the file (temp, fsync, rename, directory fsync), byte for byte as Kafka does (no final newline).</summary>
    /// <exception cref="StorageException">It could not be written; no file, or the previous one, is left.</exception>
    public static void Write(FileSystem files, string partitionDirectory, Guid topicId) =>
        DurableFile.WriteAtomically(files, PathOf(partitionDirectory),
            $"{VersionKey}: {CurrentVersion}\n{TopicIdKey}: {KafkaUuid.ToKafkaString(topicId)}");

    private static bool TryValue(string line, string key, out string value)
    {
        value = "";
        if (!line.StartsWith(key, StringComparison.Ordinal) || line.Length < key.Length + 2 || line[key.Length] != ':'
            || !char.IsWhiteSpace(line[key.Length + 1]))
        {
            return false;
        }
        value = line[(key.Length + 1)..].Trim();
        return value.Length > 0;
    }

    private static StorageException Bad(string path, string reason) =>
        new($"The partition's topic id file is damaged: {reason}. Restore it from another partition directory of the same " +
            "topic (every partition of a topic holds the same file), or remove it: the next writable open writes the id the topic's other " +
            "partitions hold.", path);
}
