using LogStore.Clients;

namespace LogStore;

public sealed partial class Broker
{
    /// <summary>
    /// Creates a consumer of this broker's topics: assign it partitions by hand (<see cref="IConsumer{TKey, TValue}.Assign"/>)
    /// or subscribe it with a <see cref="ConsumerOptions.GroupId"/> so that the group's members share the partitions.
    /// Committed offsets are kept in the internal compacted topic <c>__consumer_offsets</c>, created on first use.
    /// Dispose the consumer to leave its group and commit (with auto-commit) before disposing the broker.
    /// </summary>
    /// <param name="options">The consumer's settings.</param>
    /// <param name="keyDeserializer">Reads keys; null for the default of <typeparamref name="TKey"/>: string (UTF-8),
    /// byte[], ReadOnlyMemory&lt;byte&gt;, <see cref="Null"/>, int and long (big-endian).</param>
    /// <param name="valueDeserializer">Reads values; null for the default of <typeparamref name="TValue"/>, as for keys.</param>
    /// <exception cref="ArgumentException">No deserializer was given and the type has no default (use <see cref="Deserializers.Json{T}"/> or your own).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
    public IConsumer<TKey, TValue> CreateConsumer<TKey, TValue>(ConsumerOptions options,
        IDeserializer<TKey>? keyDeserializer = null, IDeserializer<TValue>? valueDeserializer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ThrowIfDisposed();
        if (options.GroupId is not null)
            ThrowIfReadOnly("host a consumer group (its commits are writes; assign partitions by hand instead)");
        keyDeserializer ??= DefaultDeserializer<TKey>(nameof(keyDeserializer));
        valueDeserializer ??= DefaultDeserializer<TValue>(nameof(valueDeserializer));
        return new Consumer<TKey, TValue>(this, options, keyDeserializer, valueDeserializer);
    }

    internal static IDeserializer<T> DefaultDeserializer<T>(string paramName)
    {
        object? deserializer =
            typeof(T) == typeof(string) ? Deserializers.Utf8
            : typeof(T) == typeof(byte[]) ? Deserializers.ByteArray
            : typeof(T) == typeof(ReadOnlyMemory<byte>) ? Deserializers.ReadOnlyMemory
            : typeof(T) == typeof(Null) ? Deserializers.Null
            : typeof(T) == typeof(int) ? Deserializers.Int32
            : typeof(T) == typeof(long) ? Deserializers.Int64
            : null;
        return deserializer as IDeserializer<T> ?? throw new ArgumentException(
            $"There is no default deserializer for {typeof(T).Name}; pass one (for example Deserializers.Json<{typeof(T).Name}>()).", paramName);
    }
}
