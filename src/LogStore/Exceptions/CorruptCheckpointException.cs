namespace LogStore;

/// <summary>
/// A checkpoint file (<c>leader-epoch-checkpoint</c>, <c>cleaner-offset-checkpoint</c>, …) is unreadable or not in
/// Kafka's checkpoint format. Internal: every caller turns it into "rebuild or recover" (a scan, a full recovery), never
/// into a failed open, and the file is left for the next write to replace.
/// </summary>
internal sealed class CorruptCheckpointException(string message, string path, Exception? innerException = null)
    : LogStoreException($"{message} (file '{path}')", innerException)
{
    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; } = path;
}
