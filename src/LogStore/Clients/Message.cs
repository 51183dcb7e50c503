namespace LogStore;

/// <summary>One message to produce, or one consumed.</summary>
public sealed class Message<TKey, TValue>
{
    /// <summary>The key; decides the partition with the default partitioner. May be null for reference types.</summary>
    public TKey Key { get; set; } = default!;

    /// <summary>The value; null (for reference types) is a tombstone in a compacted topic.</summary>
    public TValue Value { get; set; } = default!;

    /// <summary>Ordered headers; keys may repeat.</summary>
    public Headers? Headers { get; set; }

    /// <summary>The record's timestamp; null when producing means the time of producing.</summary>
    public DateTimeOffset? Timestamp { get; set; }
}
