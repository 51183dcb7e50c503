namespace LogStore;

/// <summary>
/// A write (an append, a produce, a commit, a topic created or deleted, a flush) was asked of a store opened with
/// <see cref="Broker.OpenReadOnlyAsync"/>, which never changes a file. Open it with <see cref="Broker.OpenAsync"/> to
/// write (only one process at a time can).
/// </summary>
public sealed class StoreReadOnlyException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public StoreReadOnlyException(string message, string path)
        : base(message) => Path = path;

    /// <summary>The data directory or partition directory that was opened read-only.</summary>
    public string Path { get; }
}
