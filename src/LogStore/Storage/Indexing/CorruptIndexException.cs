namespace LogStore.Storage.Indexing;

/// <summary>
/// An index file failed <see cref="OffsetIndex.SanityCheck"/> or <see cref="TimeIndex.SanityCheck"/>.
/// </summary>
/// <remarks>
/// Internal on purpose: an index is only a hint derived from the log, so the loader answers this by deleting
/// the index and rebuilding it from the segment's records. It never reaches the user.
/// </remarks>
internal sealed class CorruptIndexException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CorruptIndexException(string message, string filePath)
        : base($"{message} (file '{filePath}')") => FilePath = filePath;

    /// <summary>The index file that failed the check.</summary>
    public string FilePath { get; }
}
