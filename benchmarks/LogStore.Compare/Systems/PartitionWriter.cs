namespace LogStore.Compare.Systems;

/// <summary>
/// LogStore's partition path, as a single-threaded appender in an application uses it: records are encoded into a
/// reused <see cref="RecordBatchBuilder"/> (Kafka's RecordBatch v2, null key, one clock reading per batch) and each
/// full 16 KiB batch goes to <see cref="Partition.AppendAsync(RecordBatch, CancellationToken)"/> (validation, CRC check, offsets, index, write(2)).
/// So the measured cost includes building the batches, as FasterLog's includes its Enqueue per record.
/// With a gather size, full batches are collected up to that size and appended together with
/// <see cref="Partition.AppendAsync(ReadOnlyMemory{RecordBatch}, CancellationToken)"/> (one write(2)), as a bulk writer would.
/// Not thread-safe: one writer per thread.
/// </summary>
internal sealed class PartitionWriter : IDisposable
{
    private readonly RecordBatchBuilder _builder = new(CompressionType.None, Payload.BatchBytes);
    private readonly Partition _partition;
    private readonly int _recordsPerBatch;
    private readonly byte[]? _gathered;
    private RecordBatch[] _batches = new RecordBatch[64];
    private int _batchCount;
    private int _gatheredBytes;
    private long _timestamp;

    public PartitionWriter(Partition partition, int valueSize, int gatherBytes = 0)
    {
        _partition = partition;
        _recordsPerBatch = Payload.RecordsPerBatch(valueSize);
        _gathered = gatherBytes > 0 ? new byte[gatherBytes] : null;
    }

    public Partition Partition => _partition;

    /// <summary>Adds a record; returns true when it completed a batch, which was appended (or gathered).</summary>
    public bool Append(ReadOnlySpan<byte> value)
    {
        if (_builder.RecordCount == 0)
            _timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _builder.Append(_timestamp, ReadOnlySpan<byte>.Empty, value, null, keyIsNull: true);
        if (_builder.RecordCount < _recordsPerBatch)
            return false;
        SealBatch();
        return true;
    }

    /// <summary>Appends the batch in progress, if any, and every gathered one.</summary>
    public void Seal()
    {
        SealBatch();
        AppendGathered();
    }

    private void SealBatch()
    {
        if (_builder.RecordCount == 0)
            return;
        RecordBatch batch = _builder.Build();
        if (_gathered is null)
        {
            _partition.AppendAsync(batch).GetAwaiter().GetResult();
        }
        else
        {
            if (_gatheredBytes + batch.SizeInBytes > _gathered.Length)
                AppendGathered();
            // The builder's buffer is reused for the next batch: the gathered one is a copy.
            batch.Memory.Span.CopyTo(_gathered.AsSpan(_gatheredBytes));
            if (_batchCount == _batches.Length)
                Array.Resize(ref _batches, _batches.Length * 2);
            _batches[_batchCount++] = RecordBatch.Parse(_gathered.AsMemory(_gatheredBytes, batch.SizeInBytes));
            _gatheredBytes += batch.SizeInBytes;
        }
        _builder.Reset();
    }

    private void AppendGathered()
    {
        if (_batchCount == 0)
            return;
        _partition.AppendAsync(_batches.AsMemory(0, _batchCount)).GetAwaiter().GetResult();
        _batchCount = 0;
        _gatheredBytes = 0;
    }

    public void Dispose() => _builder.Dispose();
}
