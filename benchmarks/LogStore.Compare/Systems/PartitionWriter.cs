namespace LogStore.Compare.Systems;

/// <summary>
/// LogStore's partition path, as a single-threaded appender in an application uses it: records are encoded into a
/// reused <see cref="RecordBatchBuilder"/> (Kafka's RecordBatch v2, null key, one clock reading per batch) and each
/// full 16 KiB batch goes to <see cref="Partition.AppendAsync"/> (validation, CRC check, offsets, index, write(2)).
/// So the measured cost includes building the batches, as FasterLog's includes its Enqueue per record.
/// Not thread-safe: one writer per thread.
/// </summary>
internal sealed class PartitionWriter : IDisposable
{
    private readonly RecordBatchBuilder _builder = new(CompressionType.None, Payload.BatchBytes);
    private readonly Partition _partition;
    private readonly int _recordsPerBatch;
    private long _timestamp;

    public PartitionWriter(Partition partition, int valueSize)
    {
        _partition = partition;
        _recordsPerBatch = Payload.RecordsPerBatch(valueSize);
    }

    public Partition Partition => _partition;

    /// <summary>Adds a record; returns true when it completed a batch, which was appended.</summary>
    public bool Append(ReadOnlySpan<byte> value)
    {
        if (_builder.RecordCount == 0)
            _timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _builder.Append(_timestamp, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
        if (_builder.RecordCount < _recordsPerBatch)
            return false;
        Seal();
        return true;
    }

    /// <summary>Appends the batch in progress, if any.</summary>
    public void Seal()
    {
        if (_builder.RecordCount == 0)
            return;
        RecordBatch batch = _builder.Build();
        _partition.AppendAsync(batch).GetAwaiter().GetResult();
        _builder.Reset();
    }

    public void Dispose() => _builder.Dispose();
}
