using System.Globalization;

namespace LogStore;

/// <summary>
/// A record's timestamp is refused (Kafka's InvalidTimestampException): it is negative (before 1970, which time
/// retention would delete at its next check), or it lies outside the topic's
/// <see cref="TopicConfig.MessageTimestampBeforeMax"/> / <see cref="TopicConfig.MessageTimestampAfterMax"/> bounds
/// around the broker's clock. The whole batch holding it is refused; nothing of it is appended.
/// </summary>
public sealed class InvalidTimestampException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="timestamp"/> appended to <paramref name="partition"/>, saying why it is refused.</summary>
    public InvalidTimestampException(TopicPartition partition, long timestamp, string reason)
        : base($"Timestamp {timestamp} ({Describe(timestamp)}) for {partition} is refused: {reason}")
    {
        TopicPartition = partition;
        Timestamp = timestamp;
    }

    /// <summary>The partition appended to (partition -1 when the producer refused the record before choosing one).</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The refused timestamp, in Unix milliseconds.</summary>
    public long Timestamp { get; }

    internal static InvalidTimestampException Negative(TopicPartition partition, long timestamp) =>
        new(partition, timestamp, "timestamps before 1970-01-01 (negative Unix milliseconds) are not stored, as time retention " +
            "would delete such a record at its next check. Give the record a timestamp at or after the Unix epoch, or none " +
            "(the time of producing).");

    internal static InvalidTimestampException TooOld(TopicPartition partition, long timestamp, long nowMs, long boundMs) =>
        new(partition, timestamp, $"it is {nowMs - timestamp} ms before the broker's clock ({Describe(nowMs)}), more than " +
            $"message.timestamp.before.max.ms ({boundMs}). Fix the producer's timestamps or raise TopicConfig.MessageTimestampBeforeMax.");

    internal static InvalidTimestampException TooNew(TopicPartition partition, long timestamp, long nowMs, long boundMs) =>
        new(partition, timestamp, $"it is {timestamp - nowMs} ms after the broker's clock ({Describe(nowMs)}), more than " +
            $"message.timestamp.after.max.ms ({boundMs}). Fix the producer's timestamps or raise TopicConfig.MessageTimestampAfterMax.");

    private static string Describe(long unixMilliseconds) =>
        unixMilliseconds >= DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && unixMilliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : "outside the calendar's range";
}
