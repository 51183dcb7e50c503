namespace LogStore.Extensions.Hosting;

/// <summary>How <c>AddLogStoreProducer&lt;TKey, TValue&gt;</c> creates the container's
/// <see cref="IProducer{TKey, TValue}"/>.</summary>
/// <typeparam name="TKey">The message key type.</typeparam>
/// <typeparam name="TValue">The message value type.</typeparam>
public sealed class LogStoreProducerOptions<TKey, TValue>
{
    /// <summary>Batching, buffering, compression and acks. Default: <see cref="ProducerOptions"/>'s defaults.</summary>
    public ProducerOptions Producer { get; set; } = new();

    /// <summary>Writes keys; null for the built-in one of <typeparamref name="TKey"/> (string, byte[],
    /// ReadOnlyMemory&lt;byte&gt;, int, long, <see cref="Null"/>).</summary>
    public ISerializer<TKey>? KeySerializer { get; set; }

    /// <summary>Writes values; null for the built-in one of <typeparamref name="TValue"/>, as for keys.</summary>
    public ISerializer<TValue>? ValueSerializer { get; set; }
}
