using System.Globalization;

namespace LogStore.Tool.Commands;

/// <summary>
/// A topic's settings by their Kafka names, both ways: <c>--config name=value</c> pairs into a
/// <see cref="TopicConfig"/>, and a <see cref="TopicConfig"/> into the pairs <c>topics describe</c> shows. Durations
/// are milliseconds as Kafka's <c>*.ms</c> settings; -1 means "none" for the settings that may have none
/// (retention.ms and retention.bytes as in Kafka, and flush.messages, flush.ms and the message.timestamp bounds, which
/// Kafka leaves at Long.MAX_VALUE, also taken as "none"). Stateless.
/// </summary>
internal static class TopicConfigSettings
{
    /// <summary>Every setting a topic has, in the order describe shows them.</summary>
    public static readonly string[] Names =
    [
        "cleanup.policy", "delete.retention.ms", "flush.messages", "flush.ms", "index.interval.bytes",
        "max.message.bytes", "message.timestamp.after.max.ms", "message.timestamp.before.max.ms",
        "min.cleanable.dirty.ratio", "retention.bytes", "retention.ms", "segment.bytes", "segment.index.bytes", "segment.ms",
    ];

    // TopicConfig's property behind each Kafka name, to say which --config an out-of-range error is about.
    private static readonly Dictionary<string, string> s_propertyToName = new(StringComparer.Ordinal)
    {
        [nameof(TopicConfig.CleanupPolicy)] = "cleanup.policy",
        [nameof(TopicConfig.DeleteRetentionTime)] = "delete.retention.ms",
        [nameof(TopicConfig.FlushMessages)] = "flush.messages",
        [nameof(TopicConfig.FlushInterval)] = "flush.ms",
        [nameof(TopicConfig.IndexIntervalBytes)] = "index.interval.bytes",
        [nameof(TopicConfig.MaxMessageBytes)] = "max.message.bytes",
        [nameof(TopicConfig.MessageTimestampAfterMax)] = "message.timestamp.after.max.ms",
        [nameof(TopicConfig.MessageTimestampBeforeMax)] = "message.timestamp.before.max.ms",
        [nameof(TopicConfig.MinCleanableDirtyRatio)] = "min.cleanable.dirty.ratio",
        [nameof(TopicConfig.RetentionBytes)] = "retention.bytes",
        [nameof(TopicConfig.RetentionTime)] = "retention.ms",
        [nameof(TopicConfig.SegmentBytes)] = "segment.bytes",
        [nameof(TopicConfig.SegmentIndexBytes)] = "segment.index.bytes",
        [nameof(TopicConfig.SegmentRollTime)] = "segment.ms",
        [nameof(TopicConfig.Partitions)] = "--partitions",
    };

    /// <summary>Builds the configuration of a new topic: Kafka's defaults, overridden by <paramref name="pairs"/>.</summary>
    /// <exception cref="CommandException">A pair is not name=value, names an unknown setting, or has a malformed value (usage error).</exception>
    public static TopicConfig Parse(int partitions, IEnumerable<string> pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw CommandException.Usage($"--config '{pair}' is not name=value (for example retention.ms=86400000)");
            string name = pair[..eq].Trim();
            if (Array.IndexOf(Names, name) < 0)
                throw CommandException.Usage($"unknown config '{name}'; topic configs are {string.Join(", ", Names)}");
            values[name] = pair[(eq + 1)..].Trim();
        }
        var d = new TopicConfig();
        return new TopicConfig
        {
            Partitions = partitions,
            CleanupPolicy = values.TryGetValue("cleanup.policy", out string? policy) ? ParsePolicy(policy) : d.CleanupPolicy,
            DeleteRetentionTime = Duration(values, "delete.retention.ms") ?? d.DeleteRetentionTime,
            FlushMessages = values.ContainsKey("flush.messages") ? OptionalLong(values, "flush.messages") : d.FlushMessages,
            FlushInterval = values.ContainsKey("flush.ms") ? OptionalDuration(values, "flush.ms") : d.FlushInterval,
            IndexIntervalBytes = Int(values, "index.interval.bytes") ?? d.IndexIntervalBytes,
            MaxMessageBytes = Int(values, "max.message.bytes") ?? d.MaxMessageBytes,
            MessageTimestampAfterMax = values.ContainsKey("message.timestamp.after.max.ms")
                ? OptionalDuration(values, "message.timestamp.after.max.ms") : d.MessageTimestampAfterMax,
            MessageTimestampBeforeMax = values.ContainsKey("message.timestamp.before.max.ms")
                ? OptionalDuration(values, "message.timestamp.before.max.ms") : d.MessageTimestampBeforeMax,
            MinCleanableDirtyRatio = values.TryGetValue("min.cleanable.dirty.ratio", out string? ratio) ? ParseRatio(ratio) : d.MinCleanableDirtyRatio,
            RetentionBytes = values.ContainsKey("retention.bytes") ? OptionalLong(values, "retention.bytes") : d.RetentionBytes,
            RetentionTime = values.ContainsKey("retention.ms") ? OptionalDuration(values, "retention.ms") : d.RetentionTime,
            SegmentBytes = Long(values, "segment.bytes") ?? d.SegmentBytes,
            SegmentIndexBytes = Int(values, "segment.index.bytes") ?? d.SegmentIndexBytes,
            SegmentRollTime = Duration(values, "segment.ms") ?? d.SegmentRollTime,
        };
    }

    /// <summary>The settings of <paramref name="config"/> by Kafka name, in <see cref="Names"/> order.</summary>
    public static IEnumerable<(string Name, string Value)> Describe(TopicConfig config)
    {
        yield return ("cleanup.policy", config.CleanupPolicy switch
        {
            CleanupPolicy.Compact => "compact",
            CleanupPolicy.CompactAndDelete => "compact,delete",
            _ => "delete",
        });
        yield return ("delete.retention.ms", Ms(config.DeleteRetentionTime));
        yield return ("flush.messages", config.FlushMessages is long fm ? Str(fm) : "-1");
        yield return ("flush.ms", config.FlushInterval is TimeSpan fi ? Ms(fi) : "-1");
        yield return ("index.interval.bytes", Str(config.IndexIntervalBytes));
        yield return ("max.message.bytes", Str(config.MaxMessageBytes));
        yield return ("message.timestamp.after.max.ms", config.MessageTimestampAfterMax is TimeSpan after ? Ms(after) : "-1");
        yield return ("message.timestamp.before.max.ms", config.MessageTimestampBeforeMax is TimeSpan before ? Ms(before) : "-1");
        yield return ("min.cleanable.dirty.ratio", config.MinCleanableDirtyRatio.ToString("R", CultureInfo.InvariantCulture));
        yield return ("retention.bytes", config.RetentionBytes is long rb ? Str(rb) : "-1");
        yield return ("retention.ms", config.RetentionTime is TimeSpan rt ? Ms(rt) : "-1");
        yield return ("segment.bytes", Str(config.SegmentBytes));
        yield return ("segment.index.bytes", Str(config.SegmentIndexBytes));
        yield return ("segment.ms", Ms(config.SegmentRollTime));
    }

    /// <summary>The Kafka name of the <see cref="TopicConfig"/> property <paramref name="property"/>, or the property itself.</summary>
    public static string NameOf(string? property) =>
        property is not null && s_propertyToName.TryGetValue(property, out string? name) ? name : property ?? "config";

    private static CleanupPolicy ParsePolicy(string text) => text.Replace(" ", "", StringComparison.Ordinal) switch
    {
        "delete" => CleanupPolicy.Delete,
        "compact" => CleanupPolicy.Compact,
        "compact,delete" or "delete,compact" => CleanupPolicy.CompactAndDelete,
        _ => throw CommandException.Usage($"cleanup.policy must be delete, compact or compact,delete, not '{text}'"),
    };

    private static double ParseRatio(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw CommandException.Usage($"min.cleanable.dirty.ratio must be a number between 0 and 1, not '{text}'");

    private static long? Long(Dictionary<string, string> values, string name)
    {
        if (!values.TryGetValue(name, out string? text))
            return null;
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw CommandException.Usage($"{name} must be a whole number, not '{text}'");
    }

    private static int? Int(Dictionary<string, string> values, string name) =>
        Long(values, name) is long value
            ? value is >= int.MinValue and <= int.MaxValue ? (int)value : throw CommandException.Usage($"{name} is too large: {value}")
            : null;

    /// <summary>A value where -1 (or nothing) means "none".</summary>
    private static long? OptionalLong(Dictionary<string, string> values, string name) =>
        values[name] is "" or "-1" ? null : Long(values, name);

    private static TimeSpan? Duration(Dictionary<string, string> values, string name) =>
        Long(values, name) is long ms ? TimeSpan.FromMilliseconds(ms) : null;

    /// <summary>A duration where -1, nothing, or one past TimeSpan's range (Kafka's Long.MAX_VALUE) means "none".</summary>
    private static TimeSpan? OptionalDuration(Dictionary<string, string> values, string name) =>
        OptionalLong(values, name) is long ms && ms <= (long)TimeSpan.MaxValue.TotalMilliseconds ? TimeSpan.FromMilliseconds(ms) : null;

    private static string Ms(TimeSpan value) => Str((long)value.TotalMilliseconds);

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
