using LogStore.Clients;
using LogStore.Storage.Producers;

namespace LogStore;

public sealed partial class Broker
{
    private ProducerIdManager? _producerIds;

    /// <summary>
    /// Creates a producer for this broker's topics. Records are batched per partition and appended in the background;
    /// dispose the producer to flush what it holds (disposing the broker disposes producers still open).
    /// </summary>
    /// <param name="options">Batching, buffering, compression and acks; null for the defaults.</param>
    /// <param name="keySerializer">Writes keys; null for the built-in one of <typeparamref name="TKey"/>.</param>
    /// <param name="valueSerializer">Writes values; null for the built-in one of <typeparamref name="TValue"/>.</param>
    /// <exception cref="ArgumentException">No serializer was given for a type without a built-in one (built in:
    /// string, byte[], ReadOnlyMemory&lt;byte&gt;, int, long and <see cref="Null"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    public IProducer<TKey, TValue> CreateProducer<TKey, TValue>(ProducerOptions? options = null,
        ISerializer<TKey>? keySerializer = null, ISerializer<TValue>? valueSerializer = null)
    {
        ThrowIfDisposed();
        ThrowIfReadOnly("produce");
        options ??= new ProducerOptions();
        options.Validate();
        keySerializer ??= BuiltInSerializer<TKey>(nameof(keySerializer));
        valueSerializer ??= BuiltInSerializer<TValue>(nameof(valueSerializer));
        return new Producer<TKey, TValue>(this, options, keySerializer, valueSerializer);
    }

    /// <summary>The producer ids of this broker's idempotent producers, in-process and over the network.</summary>
    /// <exception cref="StoreReadOnlyException">The store was opened read-only: handing out ids writes to it.</exception>
    internal ProducerIdManager ProducerIds
    {
        get
        {
            if (Volatile.Read(ref _producerIds) is { } ids)
                return ids;
            ThrowIfReadOnly("hand out producer ids");
            // Two first callers may both build one: only the one stored is ever used (building one reads and writes nothing).
            // In a cluster each node takes its own blocks (its place in the node list): ids never collide across nodes.
            (int slot, int slots) = Options.Replication is { } replication
                ? (replication.Nodes.Select(n => n.NodeId).Order().ToList().IndexOf(replication.NodeId), replication.Nodes.Count)
                : (0, 1);
            Interlocked.CompareExchange(ref _producerIds, new ProducerIdManager(DataDirectory, Options.FileSystem, Options.TimeProvider, slot, slots), null);
            return _producerIds!;
        }
    }

    /// <summary>The topic table; a new object whenever a topic is created or deleted, so producers can cache lookups.</summary>
    internal object TopicsVersion => _topics;

    internal static ISerializer<T> BuiltInSerializer<T>(string parameterName)
    {
        object? serializer =
            typeof(T) == typeof(string) ? Serializers.Utf8
            : typeof(T) == typeof(byte[]) ? Serializers.ByteArray
            : typeof(T) == typeof(ReadOnlyMemory<byte>) ? Serializers.ReadOnlyMemory
            : typeof(T) == typeof(int) ? Serializers.Int32
            : typeof(T) == typeof(long) ? Serializers.Int64
            : typeof(T) == typeof(Null) ? Serializers.Null
            : null;
        return serializer as ISerializer<T>
            ?? throw new ArgumentException(
                $"There is no built-in serializer for {typeof(T)}; pass one (for example Serializers.Json<{typeof(T).Name}>()).", parameterName);
    }
}
