namespace LogStore;

/// <summary>
/// A producer could not get batch buffer memory: every byte of <see cref="ProducerOptions.BufferMemory"/> held batches
/// waiting to be appended for longer than <see cref="ProducerOptions.MaxBlock"/> (the disk is slower than the producer),
/// or one record needs more buffer than <see cref="ProducerOptions.BufferMemory"/> holds at all (Kafka's
/// BufferExhaustedException, a timeout).
/// </summary>
public sealed class BufferExhaustedException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="requestedBytes">The buffer bytes the record needed.</param>
    /// <param name="bufferMemory">The producer's <see cref="ProducerOptions.BufferMemory"/>.</param>
    /// <param name="maxBlock">The producer's <see cref="ProducerOptions.MaxBlock"/>.</param>
    public BufferExhaustedException(long requestedBytes, long bufferMemory, TimeSpan maxBlock)
        : base(requestedBytes > bufferMemory
            ? $"A record needs {requestedBytes} bytes of batch buffer, more than ProducerOptions.BufferMemory ({bufferMemory} bytes) holds. Raise BufferMemory or send smaller records."
            : $"No batch buffer of {requestedBytes} bytes became free within ProducerOptions.MaxBlock ({maxBlock}): all {bufferMemory} bytes of ProducerOptions.BufferMemory hold batches waiting to be appended. The disk is slower than the producer; raise BufferMemory or MaxBlock, or produce more slowly.")
    {
        RequestedBytes = requestedBytes;
        BufferMemory = bufferMemory;
        MaxBlock = maxBlock;
    }

    /// <summary>The buffer bytes the record needed.</summary>
    public long RequestedBytes { get; }

    /// <summary>The producer's buffer memory in bytes.</summary>
    public long BufferMemory { get; }

    /// <summary>How long the producer waited.</summary>
    public TimeSpan MaxBlock { get; }
}
