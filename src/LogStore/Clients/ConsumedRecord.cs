using System.Runtime.CompilerServices;
using LogStore.Clients;

namespace LogStore;

/// <summary>
/// One record of a <see cref="ConsumedBatch"/>: its offset and timestamp, and its key, value and headers as spans into
/// the consumer's buffers. Readable while its batch is (see <see cref="ConsumedBatch"/>); the spans and the partition
/// throw <see cref="ObjectDisposedException"/> once the batch has ended, the offset and timestamp (plain values) never do.
/// </summary>
public readonly ref struct ConsumedRecord
{
    private readonly Record _record;
    private readonly Fetcher _fetcher;
    private readonly int _version;

    internal ConsumedRecord(scoped in Record record, Fetcher fetcher, int version)
    {
        _record = record;
        _fetcher = fetcher;
        _version = version;
    }

    /// <summary>The partition it came from.</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public TopicPartition TopicPartition => ConsumedBatch.Lent(_fetcher, _version).Id;

    /// <summary>Its partition and offset; what a commit of it stores is the next offset (<see cref="Offset"/> + 1).</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public TopicPartitionOffset TopicPartitionOffset => new(TopicPartition, Offset);

    /// <summary>Its offset.</summary>
    public long Offset => _record.Offset;

    /// <summary>Its timestamp in Unix milliseconds, as stored (CreateTime, or the batch's LogAppendTime).</summary>
    public long UnixTimestampMs => _record.Timestamp;

    /// <summary>Its timestamp, or null when the stored one is outside <see cref="DateTimeOffset"/>'s range (as
    /// <see cref="Message{TKey, TValue}.Timestamp"/> of a consumed message).</summary>
    public DateTimeOffset? Timestamp =>
        _record.Timestamp is >= -62_135_596_800_000 and <= 253_402_300_799_999 ? DateTimeOffset.FromUnixTimeMilliseconds(_record.Timestamp) : null;

    /// <summary>The key's bytes; empty when the key is null or empty (see <see cref="IsKeyNull"/>).</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public ReadOnlySpan<byte> Key
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureReadable();
            return _record.Key;
        }
    }

    /// <summary>Whether the key is null (length -1), as opposed to empty.</summary>
    public bool IsKeyNull => _record.IsKeyNull;

    /// <summary>The value's bytes; empty when the value is null or empty (see <see cref="IsValueNull"/>).</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public ReadOnlySpan<byte> Value
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            EnsureReadable();
            return _record.Value;
        }
    }

    /// <summary>Whether the value is null (length -1): a tombstone.</summary>
    public bool IsValueNull => _record.IsValueNull;

    /// <summary>How many headers it has.</summary>
    public int HeaderCount => _record.HeaderCount;

    /// <summary>Its headers in wire order, as spans (<c>foreach (RecordHeader h in record.Headers)</c>); keys may repeat.</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public HeaderEnumerator Headers
    {
        get
        {
            EnsureReadable();
            return _record.Headers;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureReadable()
    {
        if (_fetcher is null || _fetcher.LendVersion != _version)
            ConsumedBatch.ThrowEnded();
    }
}
