using System.Globalization;

namespace LogStore.Storage;

/// <summary>
/// A <see cref="TopicConfig"/> as Kafka's config names and string values, both ways: what a topic's configuration file
/// holds (<see cref="TopicConfigStore"/>) and what <c>Broker.AlterTopicConfigAsync</c> takes. Durations are milliseconds
/// as Kafka's <c>*.ms</c> settings; an optional setting is "none" when empty, retention.ms and retention.bytes also at -1
/// (Kafka's "unlimited"), the timestamp bounds also at Long.MAX_VALUE (Kafka's "no bound"). Stateless and thread-safe.
/// </summary>
internal static class TopicConfigProperties
{
    /// <summary>Every name, each with the <see cref="TopicConfig"/> property it sets (to name the key an out-of-range
    /// <see cref="ArgumentOutOfRangeException"/> from <see cref="TopicConfig.Validate"/> is about).</summary>
    public static readonly IReadOnlyDictionary<string, string> PropertyOf = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["partitions"] = nameof(TopicConfig.Partitions),
        ["replication.factor"] = nameof(TopicConfig.ReplicationFactor),
        ["segment.bytes"] = nameof(TopicConfig.SegmentBytes),
        ["segment.ms"] = nameof(TopicConfig.SegmentRollTime),
        ["index.interval.bytes"] = nameof(TopicConfig.IndexIntervalBytes),
        ["segment.index.bytes"] = nameof(TopicConfig.SegmentIndexBytes),
        ["retention.ms"] = nameof(TopicConfig.RetentionTime),
        ["retention.bytes"] = nameof(TopicConfig.RetentionBytes),
        ["cleanup.policy"] = nameof(TopicConfig.CleanupPolicy),
        ["delete.retention.ms"] = nameof(TopicConfig.DeleteRetentionTime),
        ["min.cleanable.dirty.ratio"] = nameof(TopicConfig.MinCleanableDirtyRatio),
        ["max.message.bytes"] = nameof(TopicConfig.MaxMessageBytes),
        ["flush.messages"] = nameof(TopicConfig.FlushMessages),
        ["flush.ms"] = nameof(TopicConfig.FlushInterval),
        ["message.timestamp.before.max.ms"] = nameof(TopicConfig.MessageTimestampBeforeMax),
        ["message.timestamp.after.max.ms"] = nameof(TopicConfig.MessageTimestampAfterMax),
        ["min.insync.replicas"] = nameof(TopicConfig.MinInSyncReplicas),
        ["unclean.leader.election.enable"] = nameof(TopicConfig.UncleanLeaderElection),
    };

    /// <summary>The Kafka name of a <see cref="TopicConfig"/> property, or null.</summary>
    public static string? NameOf(string? property)
    {
        foreach ((string name, string p) in PropertyOf)
        {
            if (p == property)
                return name;
        }
        return null;
    }

    /// <summary>Every setting of <paramref name="c"/>, by Kafka name, in <see cref="PropertyOf"/> order.</summary>
    public static IEnumerable<(string Name, string Value)> ToProperties(TopicConfig c)
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
        yield return ("min.insync.replicas", Str(c.MinInSyncReplicas));
        yield return ("unclean.leader.election.enable", c.UncleanLeaderElection ? "true" : "false");
    }

    /// <summary>
    /// The configuration <paramref name="values"/> describe, validated (<see cref="TopicConfig.Validate"/>). Settings
    /// added after the first version (delete.retention.ms, min.cleanable.dirty.ratio, the timestamp bounds, min.insync.replicas,
    /// unclean.leader.election.enable) take their
    /// defaults when missing; every other one must be there.
    /// </summary>
    /// <param name="values">Values by Kafka name; names not listed in <see cref="PropertyOf"/> are ignored.</param>
    /// <param name="bad">Makes the exception for a missing or malformed value: (name, what is wrong with it).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (its ParamName is the property's).</exception>
    public static TopicConfig FromProperties(IReadOnlyDictionary<string, string> values, Func<string, string, Exception> bad)
    {
        var config = new TopicConfig
        {
            Partitions = Int(values, "partitions", bad),
            ReplicationFactor = Int(values, "replication.factor", bad),
            SegmentBytes = Long(values, "segment.bytes", bad)!.Value,
            SegmentRollTime = TimeSpan.FromMilliseconds(Long(values, "segment.ms", bad)!.Value),
            IndexIntervalBytes = Int(values, "index.interval.bytes", bad),
            SegmentIndexBytes = Int(values, "segment.index.bytes", bad),
            RetentionTime = Long(values, "retention.ms", bad, optional: true, minusOneIsNone: true) is { } rt ? TimeSpan.FromMilliseconds(rt) : null,
            RetentionBytes = Long(values, "retention.bytes", bad, optional: true, minusOneIsNone: true),
            CleanupPolicy = values.GetValueOrDefault("cleanup.policy") switch
            {
                "delete" => CleanupPolicy.Delete,
                "compact" => CleanupPolicy.Compact,
                "compact,delete" or "delete,compact" => CleanupPolicy.CompactAndDelete,
                var other => throw bad("cleanup.policy", $"cleanup.policy '{other}' is not delete, compact or compact,delete"),
            },
            DeleteRetentionTime = values.ContainsKey("delete.retention.ms")
                ? TimeSpan.FromMilliseconds(Long(values, "delete.retention.ms", bad)!.Value) : TimeSpan.FromDays(1),
            MinCleanableDirtyRatio = values.TryGetValue("min.cleanable.dirty.ratio", out string? ratio) ? Ratio(ratio, bad) : 0.5,
            MaxMessageBytes = Int(values, "max.message.bytes", bad),
            FlushMessages = Long(values, "flush.messages", bad, optional: true),
            FlushInterval = Long(values, "flush.ms", bad, optional: true) is { } fi ? TimeSpan.FromMilliseconds(fi) : null,
            MessageTimestampBeforeMax = values.ContainsKey("message.timestamp.before.max.ms")
                ? Bound(values, "message.timestamp.before.max.ms", bad) : null,
            MessageTimestampAfterMax = values.ContainsKey("message.timestamp.after.max.ms")
                ? Bound(values, "message.timestamp.after.max.ms", bad) : TimeSpan.FromHours(1),
            MinInSyncReplicas = values.ContainsKey("min.insync.replicas") ? Int(values, "min.insync.replicas", bad) : 1,
            UncleanLeaderElection = values.TryGetValue("unclean.leader.election.enable", out string? unclean)
                ? Bool("unclean.leader.election.enable", unclean, bad) : false,
        };
        config.Validate();
        return config;
    }

    /// <summary>
    /// <paramref name="current"/> with <paramref name="changes"/> applied (Kafka's IncrementalAlterConfigs SET, and
    /// DELETE for a null value: back to <paramref name="defaults"/>' value), through the same parsing and validation as a
    /// configuration file. Applied one change at a time, so that an error names the setting at fault.
    /// </summary>
    /// <exception cref="InvalidConfigurationException">An unknown name, <c>partitions</c> or <c>replication.factor</c>
    /// (not alterable this way), a value that does not parse, or one out of range.</exception>
    public static TopicConfig Alter(string topic, TopicConfig current, TopicConfig defaults, IReadOnlyDictionary<string, string?> changes)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in ToProperties(current))
            values[name] = value;
        Dictionary<string, string>? defaultValues = null;
        TopicConfig altered = current;
        foreach ((string name, string? value) in changes)
        {
            if (name is null || !PropertyOf.ContainsKey(name))
            {
                throw new InvalidConfigurationException(topic, name ?? "", $"Topic '{topic}' has no setting '{name}': the settings are " +
                    string.Join(", ", PropertyOf.Keys.Where(k => k is not ("partitions" or "replication.factor")).Order(StringComparer.Ordinal)) + ".");
            }
            if (name == "partitions")
            {
                throw new InvalidConfigurationException(topic, name, $"The partition count of topic '{topic}' is not a config to alter: " +
                    "add partitions with Broker.CreatePartitionsAsync (logstore topics add-partitions).");
            }
            if (name == "replication.factor")
                throw new InvalidConfigurationException(topic, name, $"The replication factor (replication.factor) of topic '{topic}' cannot be altered.");

            if (value is null)
            {
                defaultValues ??= ToProperties(defaults).ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
                values[name] = defaultValues[name];
            }
            else
            {
                values[name] = value.Trim();
            }
            try
            {
                altered = FromProperties(values, (key, reason) =>
                    new InvalidConfigurationException(topic, key, $"Invalid config for topic '{topic}': {reason}."));
            }
            catch (Exception e) when (e is ArgumentException or OverflowException)
            {
                throw new InvalidConfigurationException(topic, name, $"Invalid config for topic '{topic}': '{name}' cannot be " +
                    $"'{values[name]}' ({e.Message}).", e);
            }
        }
        return altered;
    }

    private static long? Long(IReadOnlyDictionary<string, string> values, string name, Func<string, string, Exception> bad,
        bool optional = false, bool minusOneIsNone = false)
    {
        if (!values.TryGetValue(name, out string? text))
            throw bad(name, $"'{name}' is missing");
        if (optional && (text.Length == 0 || (minusOneIsNone && text == "-1")))
            return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw bad(name, $"'{name}' has the value '{text}', which is not a whole number");
        return value;
    }

    /// <summary>A timestamp bound: Kafka writes "no bound" as Long.MAX_VALUE; so does any value past TimeSpan's range.</summary>
    private static TimeSpan? Bound(IReadOnlyDictionary<string, string> values, string name, Func<string, string, Exception> bad) =>
        Long(values, name, bad, optional: true) is { } ms
            ? ms > (long)TimeSpan.MaxValue.TotalMilliseconds ? null : TimeSpan.FromMilliseconds(ms)
            : null;

    private static string Bound(TimeSpan? bound) => Str(bound is { } b ? (long)b.TotalMilliseconds : long.MaxValue);

    private static double Ratio(string text, Func<string, string, Exception> bad) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw bad("min.cleanable.dirty.ratio", $"'min.cleanable.dirty.ratio' has the value '{text}', which is not a number");

    private static bool Bool(string name, string text, Func<string, string, Exception> bad) => text.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw bad(name, $"'{name}' has the value '{text}', which is not true or false"),
    };

    private static int Int(IReadOnlyDictionary<string, string> values, string name, Func<string, string, Exception> bad)
    {
        long value = Long(values, name, bad)!.Value;
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw bad(name, $"'{name}' has the value {value}, which is out of range");
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);
}
