namespace LogStore;

/// <summary>Bytes that should hold a RecordBatch v2 do not: bad length, magic, CRC, offsets or record encoding.</summary>
public sealed class CorruptRecordException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="filePath">The file the bytes came from, when they came from a file.</param>
    /// <param name="position">The byte position of the damage within <paramref name="filePath"/>.</param>
    /// <param name="innerException">The cause, when there is one.</param>
    /// <param name="offset">The offset whose read met the damage, when a read did.</param>
    public CorruptRecordException(string message, string? filePath = null, long? position = null, Exception? innerException = null, long? offset = null)
        : base(Describe(message, filePath, position, offset), innerException)
    {
        Reason = message;
        FilePath = filePath;
        Position = position;
        Offset = offset;
    }

    /// <summary>The file the bytes came from, when they came from a file.</summary>
    public string? FilePath { get; }

    /// <summary>The byte position of the damage within <see cref="FilePath"/>, when known.</summary>
    public long? Position { get; }

    /// <summary>The offset whose read met the damage, when a read of a partition did. The damaged bytes stay on disk
    /// for salvage (<c>logstore dump</c>, <c>logstore repair</c>); a consumer can seek past them.</summary>
    public long? Offset { get; }

    /// <summary>The message without its file, position and offset, to add context to as the exception travels up.</summary>
    internal string Reason { get; }

    /// <summary>The same damage, read at <paramref name="readOffset"/>.</summary>
    internal CorruptRecordException AtOffset(long readOffset) => new(Reason, FilePath, Position, InnerException, readOffset);

    private static string Describe(string message, string? filePath, long? position, long? offset)
    {
        string where = filePath is null ? "" : $"file '{filePath}', position {position}";
        if (offset is long o)
            where = where.Length == 0 ? $"reading offset {o}" : $"{where}, reading offset {o}";
        return where.Length == 0 ? message : $"{message} ({where})";
    }
}
