namespace LogStore.Extensions.Hosting;

/// <summary>
/// Wraps a deserializer so that a record it cannot read still comes out of ConsumeAsync, with a default key or value
/// and the exception kept here, instead of an exception without the record's partition and offset. The consumer
/// service then logs, skips or stops on that record exactly as when its handler throws. Not thread-safe: used by the
/// one consumer whose caller deserializes, inside ConsumeAsync.
/// </summary>
internal sealed class GuardedDeserializer<T>(IDeserializer<T> inner) : IDeserializer<T>
{
    private Exception? _failure;

    public T Deserialize(ReadOnlySpan<byte> data, bool isNull)
    {
        try
        {
            return inner.Deserialize(data, isNull);
        }
        catch (Exception e)
        {
            _failure = e;
            return default!;
        }
    }

    /// <summary>The failure of the last record consumed, if any, and forgets it.</summary>
    public Exception? TakeFailure()
    {
        Exception? failure = _failure;
        _failure = null;
        return failure;
    }

    /// <summary>The deserializer the broker would use for <typeparamref name="T"/> when given none, or null when it has
    /// none (the broker then says so when the consumer is created).</summary>
    public static IDeserializer<T>? BuiltIn() =>
        (typeof(T) == typeof(string) ? Deserializers.Utf8
        : typeof(T) == typeof(byte[]) ? Deserializers.ByteArray
        : typeof(T) == typeof(ReadOnlyMemory<byte>) ? Deserializers.ReadOnlyMemory
        : typeof(T) == typeof(Null) ? Deserializers.Null
        : typeof(T) == typeof(int) ? Deserializers.Int32
        : typeof(T) == typeof(long) ? (object)Deserializers.Int64
        : null) as IDeserializer<T>;
}
