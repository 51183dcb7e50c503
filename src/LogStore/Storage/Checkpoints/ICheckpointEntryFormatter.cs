namespace LogStore.Storage.Checkpoints;

/// <summary>One line of a <see cref="CheckpointFile{T}"/> and back (Kafka's <c>EntryFormatter</c>).</summary>
internal interface ICheckpointEntryFormatter<T>
{
    /// <summary>The entry as one line, without the newline.</summary>
    string Format(T entry);

    /// <summary>Parses one line; false when it is not an entry of this file.</summary>
    bool TryParse(string line, out T entry);
}
