using System.Buffers.Binary;
using LogStore.Records;
using LogStore.Records.Compression;

namespace LogStore;

/// <summary>
/// A Kafka RecordBatch v2 (magic 2), read in place from its bytes: the unit a producer sends, a segment
/// stores and a fetch returns, byte-for-byte as Kafka has it.
/// </summary>
/// <remarks>
/// <para>Format (all integers big-endian): baseOffset int64 @0, batchLength int32 @8 (bytes after it),
/// partitionLeaderEpoch int32 @12, magic int8 @16, crc uint32 @17 (CRC32C of bytes 21 to the end),
/// attributes int16 @21 (bits 0–2 codec, 3 LogAppendTime, 4 transactional, 5 control, 6 delete horizon),
/// lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43,
/// producerEpoch int16 @51, baseSequence int32 @53, recordCount int32 @57, then the records from byte 61,
/// compressed as one block when the codec is not none.</para>
/// <para>The struct is a view: it copies nothing, and each property reads the buffer. It stays valid as
/// long as the memory it was made from does. Reading is thread-safe while nobody writes that memory.
/// <see cref="Parse"/> checks only the framing; call <see cref="EnsureValid"/> to check the CRC.
/// Enumerating records checks every record and throws <see cref="CorruptRecordException"/> on damage.</para>
/// </remarks>
public readonly struct RecordBatch
{
    /// <summary>Bytes of the batch header, up to and including recordCount: 61.</summary>
    public const int HeaderSize = 61;

    /// <summary>Bytes before batchLength's count starts (baseOffset and batchLength): 12.</summary>
    public const int LogOverhead = 12;

    /// <summary>The magic byte of RecordBatch v2: 2.</summary>
    public const byte CurrentMagic = 2;

    /// <summary>The default cap on the decompressed size of a batch's records: 64 MiB.</summary>
    public const int DefaultMaxDecompressedBytes = 64 << 20;

    internal const int BaseOffsetOffset = 0;
    internal const int BatchLengthOffset = 8;
    internal const int PartitionLeaderEpochOffset = 12;
    internal const int MagicOffset = 16;
    internal const int CrcOffset = 17;
    internal const int AttributesOffset = 21;
    internal const int LastOffsetDeltaOffset = 23;
    internal const int BaseTimestampOffset = 27;
    internal const int MaxTimestampOffset = 35;
    internal const int ProducerIdOffset = 43;
    internal const int ProducerEpochOffset = 51;
    internal const int BaseSequenceOffset = 53;
    internal const int RecordCountOffset = 57;

    /// <summary>Bytes a size probe needs: through the magic byte.</summary>
    internal const int SizeProbeLength = MagicOffset + 1;

    internal const short CompressionMask = 0x07;
    internal const short TimestampTypeMask = 0x08;
    internal const short TransactionalMask = 0x10;
    internal const short ControlMask = 0x20;
    internal const short DeleteHorizonMask = 0x40;

    private readonly ReadOnlyMemory<byte> _memory;

    private RecordBatch(ReadOnlyMemory<byte> memory) => _memory = memory;

    /// <summary>
    /// Wraps <paramref name="data"/>, which must hold exactly one batch, without copying. Checks the framing:
    /// at least 61 bytes, 12 + batchLength equal to the length, magic 2, a known codec, recordCount ≥ 0.
    /// Does not check the CRC (see <see cref="EnsureValid"/>).
    /// </summary>
    /// <exception cref="CorruptRecordException">The bytes are not a well-framed RecordBatch v2.</exception>
    public static RecordBatch Parse(ReadOnlyMemory<byte> data)
    {
        ReadOnlySpan<byte> span = data.Span;
        if (span.Length < HeaderSize)
        {
            throw new CorruptRecordException($"A record batch needs at least {HeaderSize} bytes, but only {span.Length} were given.");
        }

        int batchLength = BinaryPrimitives.ReadInt32BigEndian(span[BatchLengthOffset..]);
        if (batchLength < HeaderSize - LogOverhead)
        {
            throw new CorruptRecordException($"The record batch's batchLength {batchLength} is below the minimum of {HeaderSize - LogOverhead}.");
        }

        if (LogOverhead + (long)batchLength != span.Length)
        {
            throw new CorruptRecordException($"The record batch's batchLength {batchLength} says the batch is {LogOverhead + (long)batchLength} bytes, but {span.Length} bytes were given.");
        }

        byte magic = span[MagicOffset];
        if (magic != CurrentMagic)
        {
            throw new CorruptRecordException($"The record batch has magic {magic}; only magic {CurrentMagic} (RecordBatch v2) is supported.");
        }

        int codec = BinaryPrimitives.ReadInt16BigEndian(span[AttributesOffset..]) & CompressionMask;
        if (codec > (int)CompressionType.Zstd)
        {
            throw new CorruptRecordException($"The record batch names compression codec {codec}, which does not exist (0 to 4 are known).");
        }

        int recordCount = BinaryPrimitives.ReadInt32BigEndian(span[RecordCountOffset..]);
        if (recordCount < 0)
        {
            throw new CorruptRecordException($"The record batch has a negative record count ({recordCount}).");
        }

        return new RecordBatch(data);
    }

    /// <summary>
    /// Reads the size of the batch starting at <paramref name="data"/> from its baseOffset/batchLength
    /// prefix, for a scanner that walks a segment. Never throws.
    /// </summary>
    /// <param name="data">Bytes from the batch's first byte on; only the first 17 (through magic) are read.</param>
    /// <param name="sizeInBytes">The whole batch's size, 12 + batchLength; 0 when false is returned.</param>
    /// <returns>
    /// False when fewer than 17 bytes were given (a partial header at the end of a file), or when batchLength is
    /// impossible (below 49, or so large that the size overflows): a caller that passed 17 bytes or more knows
    /// the header is corrupt. The magic byte is not checked here; <see cref="Parse"/> checks it.
    /// </returns>
    public static bool TryReadSize(ReadOnlySpan<byte> data, out int sizeInBytes)
    {
        if (data.Length < SizeProbeLength)
        {
            sizeInBytes = 0;
            return false;
        }

        int batchLength = BinaryPrimitives.ReadInt32BigEndian(data[BatchLengthOffset..]);
        if (batchLength < HeaderSize - LogOverhead || batchLength > int.MaxValue - LogOverhead)
        {
            sizeInBytes = 0;
            return false;
        }

        sizeInBytes = LogOverhead + batchLength;
        return true;
    }

    /// <summary>The batch's bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _memory;

    /// <summary>The batch's bytes as a span.</summary>
    public ReadOnlySpan<byte> Span => _memory.Span;

    /// <summary>Offset of the first record (int64 at byte 0). Outside the CRC, so a log may rewrite it.</summary>
    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(Span);

    /// <summary>Bytes after the batchLength field (int32 at byte 8).</summary>
    public int BatchLength => BinaryPrimitives.ReadInt32BigEndian(Span[BatchLengthOffset..]);

    /// <summary>The whole batch's size: <see cref="LogOverhead"/> + <see cref="BatchLength"/>.</summary>
    public int SizeInBytes => _memory.Length;

    /// <summary>The leader epoch when appended (int32 at byte 12); outside the CRC.</summary>
    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(Span[PartitionLeaderEpochOffset..]);

    /// <summary>The format version (byte 16): 2.</summary>
    public byte Magic => Span[MagicOffset];

    /// <summary>The stored CRC32C (uint32 at byte 17).</summary>
    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(Span[CrcOffset..]);

    /// <summary>The attribute bits (int16 at byte 21).</summary>
    public short Attributes => BinaryPrimitives.ReadInt16BigEndian(Span[AttributesOffset..]);

    /// <summary>The codec of the records block (attributes bits 0–2).</summary>
    public CompressionType Compression => (CompressionType)(Attributes & CompressionMask);

    /// <summary>What the timestamps mean (attributes bit 3).</summary>
    public TimestampType TimestampType => (Attributes & TimestampTypeMask) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    /// <summary>Whether the batch belongs to a transaction (attributes bit 4).</summary>
    public bool IsTransactional => (Attributes & TransactionalMask) != 0;

    /// <summary>Whether the batch holds control records such as transaction markers (attributes bit 5).</summary>
    public bool IsControlBatch => (Attributes & ControlMask) != 0;

    /// <summary>Whether compaction set a delete horizon, stored in baseTimestamp (attributes bit 6).</summary>
    public bool HasDeleteHorizon => (Attributes & DeleteHorizonMask) != 0;

    /// <summary>Last offset minus base offset (int32 at byte 23); kept when compaction removes records.</summary>
    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(Span[LastOffsetDeltaOffset..]);

    /// <summary>Offset of the last record: <see cref="BaseOffset"/> + <see cref="LastOffsetDelta"/>.</summary>
    public long LastOffset => BaseOffset + LastOffsetDelta;

    /// <summary>The offset after this batch: <see cref="LastOffset"/> + 1.</summary>
    public long NextOffset => LastOffset + 1;

    /// <summary>The first record's timestamp, from which record deltas count (int64 at byte 27).</summary>
    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(Span[BaseTimestampOffset..]);

    /// <summary>The largest record timestamp, or the append time under LogAppendTime (int64 at byte 35).</summary>
    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(Span[MaxTimestampOffset..]);

    /// <summary>The idempotent producer's id, -1 when none (int64 at byte 43).</summary>
    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(Span[ProducerIdOffset..]);

    /// <summary>The producer's epoch, -1 when none (int16 at byte 51).</summary>
    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(Span[ProducerEpochOffset..]);

    /// <summary>The first record's sequence number, -1 when none (int32 at byte 53).</summary>
    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(Span[BaseSequenceOffset..]);

    /// <summary>How many records the batch holds (int32 at byte 57).</summary>
    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(Span[RecordCountOffset..]);

    /// <summary>The CRC32C of the bytes from attributes (byte 21) to the end, as it should be stored.</summary>
    public uint ComputeCrc() => Crc32C.Compute(Span[AttributesOffset..]);

    /// <summary>Whether the stored CRC matches the bytes.</summary>
    public bool IsValid => Crc == ComputeCrc();

    /// <summary>Throws <see cref="CorruptRecordException"/> when the stored CRC does not match the bytes.</summary>
    /// <exception cref="CorruptRecordException">The CRC does not match.</exception>
    public void EnsureValid()
    {
        uint stored = Crc;
        uint computed = ComputeCrc();
        if (stored != computed)
        {
            throw new CorruptRecordException($"The record batch at base offset {BaseOffset} is corrupt: stored CRC 0x{stored:X8}, computed 0x{computed:X8}.");
        }
    }

    /// <summary>
    /// Enumerates the records (<c>foreach (Record r in batch)</c>), decompressing a compressed batch once
    /// into a pooled buffer of at most <see cref="DefaultMaxDecompressedBytes"/>; dispose the enumerator
    /// (foreach does) to return it.
    /// </summary>
    /// <exception cref="CorruptRecordException">A record or the compressed block is malformed.</exception>
    public RecordEnumerator GetEnumerator() => new(this, DefaultMaxDecompressedBytes);

    /// <summary>Enumerates the records, refusing a compressed block that inflates past <paramref name="maxDecompressedBytes"/>.</summary>
    /// <exception cref="CorruptRecordException">A record or the compressed block is malformed or too large.</exception>
    public RecordEnumerator GetEnumerator(int maxDecompressedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDecompressedBytes);
        return new(this, maxDecompressedBytes);
    }

    /// <summary>
    /// The raw records region, decompressed into a pooled buffer when compressed, for a reader that must
    /// keep it across awaits (a ref struct enumerator cannot). Uncompressed batches are sliced, not copied.
    /// Dispose the result to return the buffer.
    /// </summary>
    /// <exception cref="CorruptRecordException">The compressed block is malformed or too large.</exception>
    internal DecompressedRecords DecompressRecords(int maxDecompressedBytes = DefaultMaxDecompressedBytes)
    {
        ReadOnlyMemory<byte> records = _memory[HeaderSize..];
        if (Compression == CompressionType.None)
        {
            return new DecompressedRecords(records, owner: null, CreateCursor());
        }

        PooledBufferWriter owner = CompressionCodecs.Decompress(Compression, records.Span, maxDecompressedBytes);
        return new DecompressedRecords(owner.WrittenMemory, owner, CreateCursor());
    }

    /// <summary>The append time that replaces every record timestamp under LogAppendTime, else null (Kafka's rule).</summary>
    internal long? LogAppendTime => TimestampType == TimestampType.LogAppendTime ? MaxTimestamp : null;

    /// <summary>A cursor positioned before the first record, carrying this batch's offsets and timestamps.</summary>
    internal RecordCursor CreateCursor() =>
        new(BaseOffset, BaseTimestamp, LogAppendTime, RecordCount, LastOffsetDelta);

    /// <summary>Rewrites baseOffset in a batch's bytes; the CRC does not cover it, so it stays valid.</summary>
    internal static void SetBaseOffset(Span<byte> batch, long baseOffset) =>
        BinaryPrimitives.WriteInt64BigEndian(batch[BaseOffsetOffset..], baseOffset);

    /// <summary>Rewrites partitionLeaderEpoch in a batch's bytes; the CRC does not cover it.</summary>
    internal static void SetPartitionLeaderEpoch(Span<byte> batch, int epoch) =>
        BinaryPrimitives.WriteInt32BigEndian(batch[PartitionLeaderEpochOffset..], epoch);

    /// <summary>
    /// Sets maxTimestamp and the timestamp-type bit (as a log does for LogAppendTime) and recomputes the CRC,
    /// which covers both. Does nothing when both already hold those values.
    /// </summary>
    internal static void SetMaxTimestampAndTimestampType(Span<byte> batch, long maxTimestamp, TimestampType type)
    {
        short attributes = BinaryPrimitives.ReadInt16BigEndian(batch[AttributesOffset..]);
        short newAttributes = type == TimestampType.LogAppendTime
            ? (short)(attributes | TimestampTypeMask)
            : (short)(attributes & ~TimestampTypeMask);
        if (newAttributes == attributes && BinaryPrimitives.ReadInt64BigEndian(batch[MaxTimestampOffset..]) == maxTimestamp)
        {
            return;
        }

        BinaryPrimitives.WriteInt16BigEndian(batch[AttributesOffset..], newAttributes);
        BinaryPrimitives.WriteInt64BigEndian(batch[MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], Crc32C.Compute(batch[AttributesOffset..]));
    }

    /// <summary>
    /// Rewrites producerId, producerEpoch and baseSequence and recomputes the CRC, which covers them: an idempotent
    /// producer renumbering a built batch after an earlier batch of its partition failed (Kafka's
    /// MemoryRecordsBuilder.reopenAndRewriteProducerState). Costs a CRC over the batch, so only on that failure path.
    /// </summary>
    internal static void SetProducerState(Span<byte> batch, long producerId, short epoch, int baseSequence)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch[ProducerIdOffset..], producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[ProducerEpochOffset..], epoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[BaseSequenceOffset..], baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch[CrcOffset..], Crc32C.Compute(batch[AttributesOffset..]));
    }

    /// <summary><paramref name="sequence"/> plus <paramref name="increment"/>: producer sequences wrap from int.MaxValue
    /// to 0 (Kafka's DefaultRecordBatch.incrementSequence).</summary>
    internal static int IncrementSequence(int sequence, int increment) =>
        (int)((sequence + (long)increment) % ((long)int.MaxValue + 1));

    /// <summary>A one-line summary of the header, for logs and debugging.</summary>
    public override string ToString() => _memory.Length < HeaderSize
        ? "RecordBatch(empty)"
        : $"RecordBatch(baseOffset={BaseOffset}, lastOffset={LastOffset}, count={RecordCount}, size={SizeInBytes}, " +
          $"codec={Compression}, {TimestampType}, maxTimestamp={MaxTimestamp}, producerId={ProducerId}, epoch={PartitionLeaderEpoch})";
}
