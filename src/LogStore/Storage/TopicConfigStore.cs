using System.Globalization;
using System.Text;
using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>
/// Persists each topic's <see cref="TopicConfig"/> as <c>topic-configs/&lt;topic&gt;.conf</c> in the data
/// directory: Kafka's config names, one <c>name=value</c> per line (durations in milliseconds, as Kafka's
/// <c>*.ms</c> settings; an empty value means "none"). Written atomically; a file that does not parse is reported
/// as a <see cref="StorageException"/> naming it, never guessed at.
/// </summary>
internal sealed class TopicConfigStore(string dataDirectory, FileSystem files)
{
    // Short, so that a 249-character topic name still makes a legal file name.
    private const string Suffix = ".conf";
    private const int MaxFileBytes = 64 * 1024;

    private readonly string _directory = Path.Combine(dataDirectory, LogFileNames.TopicConfigDirectory);

    public string PathOf(string topic) => Path.Combine(_directory, topic + Suffix);

    /// <summary>Every topic's configuration, in name order. Links are never followed: a linked configuration directory
    /// or file is refused, a linked leftover is left in place (each logged).</summary>
    /// <exception cref="StorageException">A configuration is invalid, or it or its directory is a link.</exception>
    /// <summary>The topics that have a configuration file now (what a read-only open compares its topics with).</summary>
    public HashSet<string> ListTopics()
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(_directory))
            return topics;
        foreach (string name in StoreFile.ListFiles(_directory, []))
        {
            if (name.EndsWith(Suffix, StringComparison.Ordinal))
                topics.Add(TopicOf(Path.Combine(_directory, name)));
        }
        return topics;
    }

    /// <summary>Reads the configuration of <paramref name="topic"/>.</summary>
    /// <exception cref="StorageException">It is missing or invalid.</exception>
    public TopicConfig Load(string topic) => Read(PathOf(topic));

    public IEnumerable<(string Topic, TopicConfig Config)> LoadAll(ILogger logger, bool removeLeftovers = true)
    {
        RefuseLinkedDirectory(logger);
        if (!Directory.Exists(_directory))
            yield break;
        var links = new List<string>();
        HashSet<string> names = StoreFile.ListFiles(_directory, links);
        foreach (string link in links)
        {
            string path = Path.Combine(_directory, link);
            if (!link.EndsWith(Suffix, StringComparison.Ordinal))
            {
                StorageLog.LinkLeftInPlace(logger, path);
                continue;
            }
            StorageLog.LinkRefused(logger, path);
            throw StoreFile.NotRegularFile(path, "a symbolic link");
        }
        if (removeLeftovers)
        {
            foreach (string leftover in names.Where(n => n.EndsWith(LogFileNames.TempSuffix, StringComparison.Ordinal)))
                File.Delete(Path.Combine(_directory, leftover));
        }
        foreach (string name in names.Where(n => n.EndsWith(Suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string file = Path.Combine(_directory, name);
            yield return (TopicOf(file), Read(file));
        }
    }

    private void RefuseLinkedDirectory(ILogger? logger)
    {
        if (!StoreFile.IsLink(_directory))
            return;
        if (logger is not null)
            StorageLog.LinkRefused(logger, _directory);
        StoreFile.RefuseLinkedDirectory(_directory);
    }

    public void Save(string topic, TopicConfig config)
    {
        RefuseLinkedDirectory(logger: null);
        if (!Directory.Exists(_directory))
        {
            // The configuration directory's own name must be durable before a configuration in it can be.
            Directory.CreateDirectory(_directory);
            DurableFile.FsyncDirectory(files, Path.GetDirectoryName(_directory)!);
        }
        var text = new StringBuilder("# LogStore topic configuration (Kafka names)\n");
        foreach ((string name, string value) in ToProperties(config))
            text.Append(name).Append('=').Append(value).Append('\n');
        DurableFile.WriteAtomically(files, PathOf(topic), text.ToString());
    }

    public void Delete(string topic)
    {
        StoreFile.Delete(PathOf(topic));
        DurableFile.FsyncDirectory(files, _directory);
    }

    private static IEnumerable<(string, string)> ToProperties(TopicConfig c)
    {
        yield return ("partitions", Str(c.Partitions));
        yield return ("replication.factor", Str(c.ReplicationFactor));
        yield return ("segment.bytes", Str(c.SegmentBytes));
        yield return ("segment.ms", Str((long)c.SegmentRollTime.TotalMilliseconds));
        yield return ("index.interval.bytes", Str(c.IndexIntervalBytes));
        yield return ("segment.index.bytes", Str(c.SegmentIndexBytes));
        yield return ("retention.ms", c.RetentionTime is { } rt ? Str((long)rt.TotalMilliseconds) : "");
        yield return ("retention.bytes", c.RetentionBytes is { } rb ? Str(rb) : "");
        yield return ("cleanup.policy", c.CleanupPolicy switch
        {
            CleanupPolicy.Compact => "compact",
            CleanupPolicy.CompactAndDelete => "compact,delete",
            _ => "delete",
        });
        yield return ("delete.retention.ms", Str((long)c.DeleteRetentionTime.TotalMilliseconds));
        yield return ("min.cleanable.dirty.ratio", c.MinCleanableDirtyRatio.ToString("R", CultureInfo.InvariantCulture));
        yield return ("max.message.bytes", Str(c.MaxMessageBytes));
        yield return ("flush.messages", c.FlushMessages is { } fm ? Str(fm) : "");
        yield return ("flush.ms", c.FlushInterval is { } fi ? Str((long)fi.TotalMilliseconds) : "");
        yield return ("message.timestamp.before.max.ms", Bound(c.MessageTimestampBeforeMax));
        yield return ("message.timestamp.after.max.ms", Bound(c.MessageTimestampAfterMax));
    }

    /// <summary>The topic a configuration file is named after; a name that breaks the topic rule is refused naming the file.</summary>
    private static string TopicOf(string file)
    {
        string topic = Path.GetFileNameWithoutExtension(file);
        try
        {
            TopicName.Validate(topic);
        }
        catch (InvalidTopicException e)
        {
            throw new StorageException($"Topic configuration file name is not a topic name ({e.Message}): rename the file after " +
                "its topic, or remove it if it is not one.", file, e);
        }
        return topic;
    }

    private static TopicConfig Read(string file)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            // A configuration is a few hundred bytes: a huge file is damage, refused before it is read into memory.
            long length = new FileInfo(file).Length;
            if (length > MaxFileBytes)
                throw Bad(file, $"the file is {length} bytes long; a topic configuration is at most {MaxFileBytes}");
            foreach (string raw in StoreFile.ReadAllLinesIfExists(file) ?? throw new FileNotFoundException("The file is gone.", file))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line[0] == '#')
                    continue;
                int eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw Bad(file, $"line '{line}' is not name=value");
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
            var config = new TopicConfig
            {
                Partitions = Int(values, "partitions", file),
                ReplicationFactor = Int(values, "replication.factor", file),
                SegmentBytes = Long(values, "segment.bytes", file)!.Value,
                SegmentRollTime = TimeSpan.FromMilliseconds(Long(values, "segment.ms", file)!.Value),
                IndexIntervalBytes = Int(values, "index.interval.bytes", file),
                SegmentIndexBytes = Int(values, "segment.index.bytes", file),
                RetentionTime = Long(values, "retention.ms", file, optional: true) is { } rt ? TimeSpan.FromMilliseconds(rt) : null,
                RetentionBytes = Long(values, "retention.bytes", file, optional: true),
                CleanupPolicy = values.GetValueOrDefault("cleanup.policy") switch
                {
                    "delete" => CleanupPolicy.Delete,
                    "compact" => CleanupPolicy.Compact,
                    "compact,delete" or "delete,compact" => CleanupPolicy.CompactAndDelete,
                    var other => throw Bad(file, $"cleanup.policy '{other}' is not delete, compact or compact,delete"),
                },
                // Files written before these settings existed lack them: Kafka's defaults apply.
                DeleteRetentionTime = values.ContainsKey("delete.retention.ms")
                    ? TimeSpan.FromMilliseconds(Long(values, "delete.retention.ms", file)!.Value) : TimeSpan.FromDays(1),
                MinCleanableDirtyRatio = values.TryGetValue("min.cleanable.dirty.ratio", out string? ratio)
                    ? Ratio(ratio, file) : 0.5,
                MaxMessageBytes = Int(values, "max.message.bytes", file),
                FlushMessages = Long(values, "flush.messages", file, optional: true),
                FlushInterval = Long(values, "flush.ms", file, optional: true) is { } fi ? TimeSpan.FromMilliseconds(fi) : null,
                // Files written before the timestamp bounds existed lack them: the defaults apply.
                MessageTimestampBeforeMax = values.ContainsKey("message.timestamp.before.max.ms")
                    ? Bound(values, "message.timestamp.before.max.ms", file) : null,
                MessageTimestampAfterMax = values.ContainsKey("message.timestamp.after.max.ms")
                    ? Bound(values, "message.timestamp.after.max.ms", file) : TimeSpan.FromHours(1),
            };
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or OverflowException)
        {
            throw new StorageException($"Topic configuration is unreadable or invalid: {e.Message}", file, e);
        }
    }

    private static long? Long(Dictionary<string, string> values, string name, string file, bool optional = false)
    {
        if (!values.TryGetValue(name, out string? text))
            throw Bad(file, $"'{name}' is missing");
        if (text.Length == 0 && optional)
            return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw Bad(file, $"'{name}' has the value '{text}', which is not a whole number");
        return value;
    }

    /// <summary>A timestamp bound: Kafka writes "no bound" as Long.MAX_VALUE; so does any value past TimeSpan's range.</summary>
    private static TimeSpan? Bound(Dictionary<string, string> values, string name, string file) =>
        Long(values, name, file, optional: true) is { } ms
            ? ms > (long)TimeSpan.MaxValue.TotalMilliseconds ? null : TimeSpan.FromMilliseconds(ms)
            : null;

    private static string Bound(TimeSpan? bound) => Str(bound is { } b ? (long)b.TotalMilliseconds : long.MaxValue);

    private static double Ratio(string text, string file) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw Bad(file, $"'min.cleanable.dirty.ratio' has the value '{text}', which is not a number");

    private static int Int(Dictionary<string, string> values, string name, string file)
    {
        long value = Long(values, name, file)!.Value;
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw Bad(file, $"'{name}' has the value {value}, which is out of range");
    }

    private static StorageException Bad(string file, string reason) =>
        new($"Topic configuration is invalid: {reason}.", file);

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
