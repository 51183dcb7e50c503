using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore;

/// <summary>
/// Writes one Kafka RecordBatch v2 at a time, byte-for-byte as Kafka's Java producer would: shortest
/// varints, record attributes 0, offset deltas 0, 1, 2, …, timestamp deltas from the first record's
/// timestamp (the base timestamp), maxTimestamp the largest, CRC32C over attributes to the end.
/// </summary>
/// <remarks>
/// <para>Records are encoded straight into a buffer rented from the shared array pool, which grows by
/// renting a larger one (the old one goes back). Without compression the records land right after a
/// reserved 61-byte header; with compression they go to a second pooled buffer and <see cref="Build"/>
/// compresses them after the header. Reusing the builder through <see cref="Reset"/> allocates nothing
/// per record or per batch when uncompressed.</para>
/// <para>The <see cref="RecordBatch"/> from <see cref="Build"/> points into the builder's buffer: it is
/// valid until the next <see cref="Append(long, ReadOnlySpan{byte}, ReadOnlySpan{byte}, IReadOnlyList{Header}, bool, bool)"/>,
/// <see cref="Reset"/> or <see cref="Dispose"/>; copy it to keep it. Appending after Build continues the
/// same batch. Not thread-safe: one producer thread per builder.</para>
/// </remarks>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly PooledBufferWriter _batch;
    private readonly PooledBufferWriter? _records;
    private int _recordCount;
    private long _baseTimestamp;
    private long _maxTimestamp;
    private long _minTimestamp;
    private bool _disposed;

    /// <summary>Creates a builder.</summary>
    /// <param name="compression">The codec for the records block; <see cref="CompressionType.None"/> by default.</param>
    /// <param name="initialCapacity">Bytes to rent up front; the buffer grows as needed. Default 16 KiB, Kafka's batch.size.</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown codec or negative capacity.</exception>
    public RecordBatchBuilder(CompressionType compression = CompressionType.None, int initialCapacity = 16384)
    {
        if ((uint)compression > (uint)CompressionType.Zstd)
        {
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "Kafka's codecs are None, Gzip, Snappy, Lz4 and Zstd.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        Compression = compression;
        _batch = new PooledBufferWriter(Math.Max(initialCapacity, RecordBatch.HeaderSize));
        _batch.GetSpan(RecordBatch.HeaderSize);
        _batch.Advance(RecordBatch.HeaderSize);
        if (compression != CompressionType.None)
        {
            _records = new PooledBufferWriter(initialCapacity);
        }
    }

    /// <summary>The codec of the records block.</summary>
    public CompressionType Compression { get; }

    /// <summary>The batch's baseOffset. Default 0; a log assigns the real one on append.</summary>
    public long BaseOffset { get; set; }

    /// <summary>The batch's partitionLeaderEpoch. Default -1, as Kafka's producer sends.</summary>
    public int PartitionLeaderEpoch { get; set; } = -1;

    /// <summary>The idempotent producer's id. Default -1 (none).</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer's epoch. Default -1 (none).</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>The first record's sequence number. Default -1 (none).</summary>
    public int BaseSequence { get; set; } = -1;

    /// <summary>Whether the batch is part of a transaction (attributes bit 4). Default false.</summary>
    public bool IsTransactional { get; set; }

    /// <summary>
    /// The timestamp type (attributes bit 3). Default CreateTime. Under LogAppendTime the timestamps given
    /// are written as they are; the log overwrites maxTimestamp with the append time.
    /// </summary>
    public TimestampType TimestampType { get; set; } = TimestampType.CreateTime;

    /// <summary>The smallest record timestamp of the current batch (the header has only the first and the largest), which
    /// lets the log check a producer's batch against its timestamp bounds without reading its records.</summary>
    internal long MinTimestamp => _minTimestamp;

    /// <summary>Records appended to the current batch.</summary>
    public int RecordCount => _recordCount;

    /// <summary>
    /// The batch's size so far before compression, header included: lets a producer seal a batch when it
    /// reaches its batch.size. With a codec the built batch is usually smaller.
    /// </summary>
    public int EstimatedSizeInBytes => RecordBatch.HeaderSize + (_records?.WrittenCount ?? _batch.WrittenCount - RecordBatch.HeaderSize);

    /// <summary>
    /// Appends a record. Its offset delta is its index in the batch; its timestamp delta counts from the
    /// first record's timestamp. Header keys are encoded as UTF-8 without allocating.
    /// </summary>
    /// <param name="timestamp">The record's timestamp in Unix milliseconds.</param>
    /// <param name="key">The key's bytes (ignored when <paramref name="keyIsNull"/>).</param>
    /// <param name="value">The value's bytes (ignored when <paramref name="valueIsNull"/>).</param>
    /// <param name="headers">Headers in order; keys must not be null, values may be.</param>
    /// <param name="keyIsNull">Write a null key (length -1) rather than an empty one.</param>
    /// <param name="valueIsNull">Write a null value (a tombstone) rather than an empty one.</param>
    /// <exception cref="ArgumentException">A null flag is set with non-empty bytes, or a header key is null.</exception>
    /// <exception cref="InvalidOperationException">The batch would pass 2 GiB.</exception>
    public void Append(long timestamp, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, IReadOnlyList<Header>? headers = null, bool keyIsNull = false, bool valueIsNull = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (keyIsNull && !key.IsEmpty)
        {
            throw new ArgumentException("keyIsNull is set but key bytes were given.", nameof(key));
        }

        if (valueIsNull && !value.IsEmpty)
        {
            throw new ArgumentException("valueIsNull is set but value bytes were given.", nameof(value));
        }

        long baseTimestamp = _recordCount == 0 ? timestamp : _baseTimestamp;
        long timestampDelta = unchecked(timestamp - baseTimestamp);
        int offsetDelta = _recordCount;
        int keyLength = keyIsNull ? -1 : key.Length;
        int valueLength = valueIsNull ? -1 : value.Length;
        int headerCount = headers?.Count ?? 0;

        // Measure first: the length prefix is a varint, so its size depends on the body's.
        long bodyLength = 1L + VarInt.SizeOfVarLong(timestampDelta) + VarInt.SizeOfVarInt(offsetDelta)
            + VarInt.SizeOfVarInt(keyLength) + Math.Max(keyLength, 0)
            + VarInt.SizeOfVarInt(valueLength) + Math.Max(valueLength, 0)
            + VarInt.SizeOfVarInt(headerCount);
        for (int i = 0; i < headerCount; i++)
        {
            Header header = headers![i];
            if (header.Key is null)
            {
                throw new ArgumentException($"Header {i} has a null key; Kafka header keys are never null.", nameof(headers));
            }

            int headerKeyLength = Encoding.UTF8.GetByteCount(header.Key);
            int headerValueLength = header.Value?.Length ?? -1;
            bodyLength += VarInt.SizeOfVarInt(headerKeyLength) + headerKeyLength
                + VarInt.SizeOfVarInt(headerValueLength) + Math.Max(headerValueLength, 0);
        }

        PooledBufferWriter target = _records ?? _batch;
        if (bodyLength + VarInt.MaxVarIntLength + target.WrittenCount + RecordBatch.HeaderSize > Array.MaxLength)
        {
            throw new InvalidOperationException($"Appending a {bodyLength}-byte record would make the batch larger than 2 GiB; build the batch first.");
        }

        int body = (int)bodyLength;
        int total = VarInt.SizeOfVarInt(body) + body;
        Span<byte> span = target.GetSpan(total);
        int p = 0;
        VarInt.WriteVarInt(span, ref p, body);
        span[p++] = 0; // record attributes: unused since magic 2
        VarInt.WriteVarLong(span, ref p, timestampDelta);
        VarInt.WriteVarInt(span, ref p, offsetDelta);
        WriteNullableBytes(span, ref p, key, keyLength);
        WriteNullableBytes(span, ref p, value, valueLength);
        VarInt.WriteVarInt(span, ref p, headerCount);
        for (int i = 0; i < headerCount; i++)
        {
            Header header = headers![i];
            int headerKeyLength = Encoding.UTF8.GetByteCount(header.Key);
            VarInt.WriteVarInt(span, ref p, headerKeyLength);
            p += Encoding.UTF8.GetBytes(header.Key.AsSpan(), span.Slice(p, headerKeyLength));
            byte[]? headerValue = header.Value;
            WriteNullableBytes(span, ref p, headerValue, headerValue?.Length ?? -1);
        }

        Debug.Assert(p == total, "The record's measured and written sizes differ.");
        target.Advance(total);

        _baseTimestamp = baseTimestamp;
        _maxTimestamp = _recordCount == 0 ? timestamp : Math.Max(_maxTimestamp, timestamp);
        _minTimestamp = _recordCount == 0 ? timestamp : Math.Min(_minTimestamp, timestamp);
        _recordCount++;
    }

    /// <summary>
    /// Appends a record from arrays, a null array meaning a Kafka null (length -1) key or value.
    /// See <see cref="Append(long, ReadOnlySpan{byte}, ReadOnlySpan{byte}, IReadOnlyList{Header}, bool, bool)"/>.
    /// Preferred for collection expressions, so that <c>Append(t, [1], null)</c> writes a null value.
    /// </summary>
    [OverloadResolutionPriority(1)]
    public void Append(long timestamp, byte[]? key, byte[]? value, IReadOnlyList<Header>? headers = null) =>
        Append(timestamp, key.AsSpan(), value.AsSpan(), headers, key is null, value is null);

    /// <summary>
    /// Seals the batch: writes the 61-byte header, compresses the records when a codec is set, and stores
    /// the CRC32C. Returns a view of the builder's buffer (see the remarks on how long it stays valid).
    /// </summary>
    /// <exception cref="InvalidOperationException">No record was appended.</exception>
    public RecordBatch Build()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_recordCount == 0)
        {
            throw new InvalidOperationException("A record batch needs at least one record; append one before Build.");
        }

        if (_records is not null)
        {
            _batch.Truncate(RecordBatch.HeaderSize);
            CompressionCodecs.Compress(Compression, _records.WrittenSpan, _batch);
        }

        Span<byte> batch = _batch.WrittenSpan;
        int attributes = (int)Compression
            | (TimestampType == TimestampType.LogAppendTime ? RecordBatch.TimestampTypeMask : 0)
            | (IsTransactional ? RecordBatch.TransactionalMask : 0);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.BaseOffsetOffset..], BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BatchLengthOffset..], batch.Length - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        batch[RecordBatch.MagicOffset] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.LastOffsetDeltaOffset..], _recordCount - 1);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.MaxTimestampOffset..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.RecordCountOffset..], _recordCount);

        // The CRC covers attributes to the end, so it is computed last.
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatch.CrcOffset..], Crc32C.Compute(batch[RecordBatch.AttributesOffset..]));
        return RecordBatch.Parse(_batch.WrittenMemory);
    }

    /// <summary>Starts a new, empty batch, keeping the buffers and the header settings (BaseOffset, ProducerId, …).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _batch.Truncate(RecordBatch.HeaderSize);
        _records?.Clear();
        _recordCount = 0;
        _baseTimestamp = 0;
        _maxTimestamp = 0;
        _minTimestamp = 0;
    }

    /// <summary>Returns the buffers to the pool; batches built earlier become invalid. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _batch.Dispose();
        _records?.Dispose();
    }

    private static void WriteNullableBytes(Span<byte> span, ref int position, ReadOnlySpan<byte> bytes, int length)
    {
        VarInt.WriteVarInt(span, ref position, length);
        if (length > 0)
        {
            bytes.CopyTo(span[position..]);
            position += length;
        }
    }
}
