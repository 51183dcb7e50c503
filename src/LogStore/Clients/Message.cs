namespace LogStore;

/// <summary>One message to produce, or one consumed.</summary>
public sealed class Message<TKey, TValue>
{
    // The timestamp as UTC ticks plus one (0: none) and its offset in minutes, instead of a DateTimeOffset?: a
    // consumer allocates one Message per record, and this keeps the object 8 bytes smaller (Nullable pads to 24).
    private long _utcTicksPlusOne;
    private short _offsetMinutes;

    /// <summary>The key; decides the partition with the default partitioner. May be null for reference types.</summary>
    public TKey Key { get; set; } = default!;

    /// <summary>The value; null (for reference types) is a tombstone in a compacted topic.</summary>
    public TValue Value { get; set; } = default!;

    /// <summary>Ordered headers; keys may repeat.</summary>
    public Headers? Headers { get; set; }

    /// <summary>The record's timestamp; null when producing means the time of producing.</summary>
    public DateTimeOffset? Timestamp
    {
        get
        {
            if (_utcTicksPlusOne == 0)
                return null;
            var utc = new DateTimeOffset(_utcTicksPlusOne - 1, TimeSpan.Zero);
            return _offsetMinutes == 0 ? utc : utc.ToOffset(TimeSpan.FromMinutes(_offsetMinutes));
        }
        set
        {
            if (value is { } timestamp)
            {
                _utcTicksPlusOne = timestamp.UtcTicks + 1;
                _offsetMinutes = (short)(timestamp.Offset.Ticks / TimeSpan.TicksPerMinute);
            }
            else
            {
                _utcTicksPlusOne = 0;
                _offsetMinutes = 0;
            }
        }
    }

    /// <summary>Sets the timestamp from Unix milliseconds within DateTimeOffset's range (a consumed record's), without
    /// building a DateTimeOffset.</summary>
    internal void SetUnixTimestamp(long unixMilliseconds)
    {
        _utcTicksPlusOne = unixMilliseconds * TimeSpan.TicksPerMillisecond + (DateTime.UnixEpoch.Ticks + 1);
        _offsetMinutes = 0;
    }
}
