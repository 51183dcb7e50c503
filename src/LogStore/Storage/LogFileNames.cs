using System.Globalization;

namespace LogStore.Storage;

/// <summary>Kafka's file and directory names: <c>&lt;topic&gt;-&lt;partition&gt;/</c> holding
/// <c>&lt;20-digit base offset&gt;.log|.index|.timeindex</c> and <c>&lt;20-digit offset&gt;.snapshot</c> (the producer state),
/// plus the suffixes used while files are swapped or deleted.</summary>
internal static class LogFileNames
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    /// <summary>Kafka's producer-state snapshot, named by the offset up to which (exclusive) it holds the state.</summary>
    public const string ProducerSnapshotSuffix = ".snapshot";
    public const string DeletedSuffix = ".deleted";
    public const string CleanedSuffix = ".cleaned";
    public const string SwapSuffix = ".swap";
    public const string TempSuffix = ".tmp";
    /// <summary>Bytes cut from a segment (by recovery past the recovery point, or by <c>logstore repair</c>) are kept in
    /// <c>&lt;segment&gt;.log.cut-&lt;position&gt;</c> until the operator removes them; nothing loads or deletes them.</summary>
    public const string CutSuffix = ".cut-";
    public const string DeleteDirSuffix = "-delete";
    public const string CleanShutdownFile = ".logstore_cleanshutdown";
    public const string LockFile = ".lock";
    public const string TopicConfigDirectory = "topic-configs";
    public const string PartitionCheckpointFile = "partition.checkpoint";
    /// <summary>Kafka's name for the file holding the partition's topic id (<see cref="PartitionMetadataFile"/>).</summary>
    public const string PartitionMetadataFile = "partition.metadata";

    public static string FileNamePrefix(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    public static string LogFile(string dir, long baseOffset) => Path.Combine(dir, FileNamePrefix(baseOffset) + LogSuffix);

    public static string IndexFile(string dir, long baseOffset) => Path.Combine(dir, FileNamePrefix(baseOffset) + IndexSuffix);

    public static string TimeIndexFile(string dir, long baseOffset) => Path.Combine(dir, FileNamePrefix(baseOffset) + TimeIndexSuffix);

    public static string ProducerSnapshotFile(string dir, long offset) => Path.Combine(dir, FileNamePrefix(offset) + ProducerSnapshotSuffix);

    /// <summary>A new file beside <paramref name="logFile"/> for the bytes cut from it at <paramref name="position"/>:
    /// <c>&lt;log&gt;.cut-&lt;position&gt;</c>, or <c>.cut-&lt;position&gt;-&lt;n&gt;</c> when an earlier cut already used the name.</summary>
    public static string CutFile(string logFile, long position)
    {
        string name = logFile + CutSuffix + position.ToString(CultureInfo.InvariantCulture);
        string candidate = name;
        for (int n = 1; File.Exists(candidate) || System.IO.Directory.Exists(candidate); n++)
            candidate = name + "-" + n.ToString(CultureInfo.InvariantCulture);
        return candidate;
    }

    public static string PartitionDirectoryName(TopicPartition tp) => $"{tp.Topic}-{tp.Partition.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Kafka's name for a partition directory awaiting deletion, <c>&lt;dir&gt;.&lt;id&gt;-delete</c>, with the
    /// directory part shortened when the whole would pass the 255-byte file-name limit.</summary>
    public static string DeleteDirectoryName(TopicPartition tp)
    {
        string suffix = $".{Guid.NewGuid():N}{DeleteDirSuffix}";
        string name = PartitionDirectoryName(tp);
        return name[..Math.Min(name.Length, 255 - suffix.Length)] + suffix;
    }

    /// <summary>Parses the base offset from a segment file name such as <c>00000000000000000042.log</c>.</summary>
    public static bool TryParseBaseOffset(string fileName, string suffix, out long baseOffset)
    {
        baseOffset = 0;
        if (!fileName.EndsWith(suffix, StringComparison.Ordinal))
            return false;
        ReadOnlySpan<char> digits = fileName.AsSpan(0, fileName.Length - suffix.Length);
        return digits.Length == 20
            && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }

    /// <summary>Parses <c>topic-N</c>; the topic is everything before the last '-'.</summary>
    public static bool TryParsePartitionDirectory(string name, out TopicPartition tp)
    {
        tp = default;
        int dash = name.LastIndexOf('-');
        if (dash <= 0 || dash == name.Length - 1)
            return false;
        ReadOnlySpan<char> digits = name.AsSpan(dash + 1);
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int partition))
            return false;
        // "topic-007" is not a name we write: refuse it rather than alias partition 7.
        if (digits.Length > 1 && digits[0] == '0')
            return false;
        tp = new TopicPartition(name[..dash], partition);
        return true;
    }
}
