namespace LogStore.Records;

/// <summary>
/// The raw records region of one batch, held for a reader that decodes across awaits: the batch's own bytes
/// when uncompressed, or a buffer rented from the shared array pool holding the decompressed block.
/// Read it with <see cref="CreateCursor"/> and <see cref="RecordCursor.MoveNext"/> (or
/// <see cref="RecordReader"/>). Dispose returns the buffer; <see cref="Data"/> must not be used after.
/// Not thread-safe to dispose concurrently with reading; reading from several threads is safe.
/// </summary>
internal sealed class DecompressedRecords : IDisposable
{
    private readonly RecordCursor _start;
    private PooledBufferWriter? _owner;

    /// <summary>Wraps <paramref name="data"/>, owned by <paramref name="owner"/> when it was rented.</summary>
    public DecompressedRecords(ReadOnlyMemory<byte> data, PooledBufferWriter? owner, RecordCursor start)
    {
        Data = data;
        _owner = owner;
        _start = start;
    }

    /// <summary>The raw records, one after another.</summary>
    public ReadOnlyMemory<byte> Data { get; private set; }

    /// <summary>Whether <see cref="Data"/> is a rented buffer (the batch was compressed).</summary>
    public bool IsPooled => _owner is not null;

    /// <summary>A cursor before the first record, carrying the batch's offsets and timestamps.</summary>
    public RecordCursor CreateCursor() => _start;

    /// <summary>Returns the rented buffer, if any. Safe to call more than once.</summary>
    public void Dispose()
    {
        Data = ReadOnlyMemory<byte>.Empty;
        PooledBufferWriter? owner = _owner;
        _owner = null;
        owner?.Dispose();
    }
}
