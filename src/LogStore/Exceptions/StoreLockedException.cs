namespace LogStore;

/// <summary>The data directory is held by another <see cref="Broker"/>, in this process or another.</summary>
public sealed class StoreLockedException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public StoreLockedException(string dataDirectory, Exception? innerException = null)
        : base($"The data directory '{dataDirectory}' is locked by another Broker or process. Dispose the other Broker, or use another directory.", innerException)
        => DataDirectory = dataDirectory;

    /// <summary>The directory that is locked.</summary>
    public string DataDirectory { get; }
}
