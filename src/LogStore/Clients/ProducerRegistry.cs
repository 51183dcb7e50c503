namespace LogStore.Clients;

/// <summary>
/// The broker's live producers: disposing the broker disposes (so flushes) every producer still open before the
/// partitions close, so records produced but not yet appended are not lost by a forgotten producer.
/// </summary>
internal sealed class ProducerRegistry : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly HashSet<IAsyncDisposable> _producers = new(ReferenceEqualityComparer.Instance);

    public void Add(IAsyncDisposable producer)
    {
        lock (_lock)
            _producers.Add(producer);
    }

    public void Remove(IAsyncDisposable producer)
    {
        lock (_lock)
            _producers.Remove(producer);
    }

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] producers;
        lock (_lock)
            producers = [.. _producers];
        foreach (IAsyncDisposable producer in producers)
            await producer.DisposeAsync().ConfigureAwait(false);
    }
}
