namespace LogStore;

/// <summary>The file system failed under LogStore (disk full, I/O error, missing permission) or a file is damaged beyond recovery.</summary>
public sealed class StorageException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public StorageException(string message, string? filePath = null, Exception? innerException = null)
        : base(filePath is null ? message : $"{message} (file '{filePath}')", innerException) => FilePath = filePath;

    /// <summary>The file or directory involved, when known.</summary>
    public string? FilePath { get; }
}
