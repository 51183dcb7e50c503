namespace LogStore;

/// <summary>
/// An <see cref="Acks.All"/> write was appended by the leader, but the in-sync replicas did not all reach it within the
/// timeout (Kafka's REQUEST_TIMED_OUT): the records may still become committed, or be lost with the leader. Retry with
/// an idempotent producer so that a retry of a write that did commit is not duplicated.
/// </summary>
public sealed class ReplicationTimeoutException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="partition"/>.</summary>
    public ReplicationTimeoutException(TopicPartition partition, long requiredOffset, long highWatermark, TimeSpan timeout)
        : base($"The in-sync replicas of {partition} did not reach offset {requiredOffset} within {timeout.TotalMilliseconds:0} ms " +
            $"(the high watermark is {highWatermark}); the write may or may not become committed.")
    {
        TopicPartition = partition;
        RequiredOffset = requiredOffset;
        HighWatermark = highWatermark;
    }

    /// <summary>The partition written to.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The high watermark the write waited for (its last offset + 1).</summary>
    public long RequiredOffset { get; }

    /// <summary>The high watermark when the wait timed out.</summary>
    public long HighWatermark { get; }
}
