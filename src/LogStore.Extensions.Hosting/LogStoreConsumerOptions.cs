namespace LogStore.Extensions.Hosting;

/// <summary>How a consumer of the container's <see cref="Broker"/> is created: by
/// <c>AddLogStoreConsumer&lt;TKey, TValue&gt;</c>, and (with a few more settings) by
/// <see cref="LogStoreConsumerService{TKey, TValue}"/>.</summary>
/// <typeparam name="TKey">The message key type.</typeparam>
/// <typeparam name="TValue">The message value type.</typeparam>
public class LogStoreConsumerOptions<TKey, TValue>
{
    /// <summary>The consumer's settings: its <see cref="ConsumerOptions.GroupId"/>, where it starts, how it commits and
    /// fetches. Default: <see cref="ConsumerOptions"/>'s defaults (no group).</summary>
    public ConsumerOptions Consumer { get; set; } = new();

    /// <summary>Topics the consumer subscribes to as soon as it is created (needs a
    /// <see cref="ConsumerOptions.GroupId"/>); empty to leave subscribing or assigning to its user.</summary>
    public IList<string> Topics { get; } = [];

    /// <summary>Reads keys; null for the default of <typeparamref name="TKey"/> (string, byte[],
    /// ReadOnlyMemory&lt;byte&gt;, int, long, <see cref="Null"/>).</summary>
    public IDeserializer<TKey>? KeyDeserializer { get; set; }

    /// <summary>Reads values; null for the default of <typeparamref name="TValue"/>, as for keys.</summary>
    public IDeserializer<TValue>? ValueDeserializer { get; set; }
}
