namespace LogStore;

/// <summary>Bytes that should hold a RecordBatch v2 do not: bad length, magic, CRC, offsets or record encoding.</summary>
public sealed class CorruptRecordException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    public CorruptRecordException(string message, string? filePath = null, long? position = null, Exception? innerException = null)
        : base(filePath is null ? message : $"{message} (file '{filePath}', position {position})", innerException)
    {
        FilePath = filePath;
        Position = position;
    }

    /// <summary>The file the bytes came from, when they came from a file.</summary>
    public string? FilePath { get; }

    /// <summary>The byte position of the damage within <see cref="FilePath"/>, when known.</summary>
    public long? Position { get; }
}
