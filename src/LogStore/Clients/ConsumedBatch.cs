using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using LogStore.Clients;

namespace LogStore;

/// <summary>
/// Records of one partition lent by <see cref="IConsumer{TKey, TValue}.ConsumeBatchAsync"/>: keys, values and headers
/// are spans into the consumer's fetched (and decompressed) buffers, nothing is copied or allocated per record
/// (FasterLog's <c>UnsafeGetNext</c>, with the consumer's group, positions and commits).
/// </summary>
/// <remarks>
/// <para><b>Lifetime.</b> The batch and its records are readable until the batch is disposed, or until the consumer is
/// called to lend the next batch, seek, change its assignment, unsubscribe or close; then their buffers go back to the
/// pool, and <see cref="TopicPartition"/>, enumerating, and a record's <see cref="ConsumedRecord.Key"/>,
/// <see cref="ConsumedRecord.Value"/>, <see cref="ConsumedRecord.Headers"/> and <see cref="ConsumedRecord.TopicPartition"/>
/// throw <see cref="ObjectDisposedException"/> (one integer compare per access). A span taken before stays a span into
/// memory that is reused: copy what you keep. Spans, not <see cref="ReadOnlyMemory{T}"/>, are handed out for that reason:
/// a span cannot be carried across an <c>await</c> or stored, a memory could outlive the lease unnoticed. Dispose a batch
/// before calling ConsumeAsync, which takes records from the same positions and may end it too. A consumer closed from
/// another thread while a batch is read (unsupported: the consumer is not thread-safe) leaves that batch's buffers to
/// the garbage collector rather than the pool, so they never hold another reader's bytes.</para>
/// <para><b>Positions.</b> Enumerating consumes: each record moves its partition's position past it as it is returned,
/// exactly as ConsumeAsync does, so <see cref="IConsumer{TKey, TValue}.Commit()"/> inside the loop, auto-commit and the
/// commit when partitions are revoked store the offset after the last record enumerated, never one not yet seen.
/// Records not enumerated before the batch ends (a <c>break</c>) are returned by the next consume call. A second
/// <c>foreach</c> over the same batch goes on after the last record the first one returned.</para>
/// <para><b>Size.</b> At most <see cref="ConsumerOptions.MaxPollRecords"/> records, all from one fetch of one
/// partition; the next call moves on round-robin as ConsumeAsync does. The enumeration ends early when the consumer's
/// group has work for it (a rebalance, an auto-commit, closing): that work runs inside the next consume call, on the
/// caller's thread, so a partition is revoked only after its batch has ended, and no record of a revoked partition is
/// returned afterwards.</para>
/// <para>Not thread-safe, like the consumer: use it on the thread that consumes. <c>default</c> is an ended batch.</para>
/// </remarks>
public readonly struct ConsumedBatch : IDisposable
{
    // A struct holding the consumer's fetcher and the version of its lease, rather than an object per batch: a
    // version that moved on marks every copy of an ended batch, and its records, as unusable.
    private readonly Fetcher? _fetcher;
    private readonly int _version;

    internal ConsumedBatch(Fetcher fetcher, int version)
    {
        _fetcher = fetcher;
        _version = version;
    }

    /// <summary>Whether the batch has ended (disposed, or the consumer was called again): its records are gone.</summary>
    public bool IsDisposed => _fetcher is null || _fetcher.LendVersion != _version;

    /// <summary>The partition the records come from.</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public TopicPartition TopicPartition => Lent(_fetcher, _version).Id;

    /// <summary>Returns the records one by one, moving the partition's position past each (see the remarks).</summary>
    /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
    public Enumerator GetEnumerator()
    {
        Lent(_fetcher, _version);
        return new Enumerator(_fetcher!, _version);
    }

    /// <summary>Ends the batch and returns its buffers; the records not enumerated stay for the next consume call.
    /// Does nothing when it has already ended.</summary>
    public void Dispose()
    {
        if (!IsDisposed)
            _fetcher!.EndLend();
    }

    /// <summary>The lent partition, when the lease of <paramref name="version"/> is still the current one.</summary>
    internal static Fetcher.PartitionState Lent(Fetcher? fetcher, int version) =>
        fetcher is not null && fetcher.LendVersion == version && fetcher.LentPartition is { } state ? state : ThrowEnded();

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static Fetcher.PartitionState ThrowEnded() =>
        throw new ObjectDisposedException(nameof(ConsumedBatch),
            "The batch has ended: it was disposed, or its consumer was called again (to consume, seek, change its assignment " +
            "or close), and its buffers were reused. Copy the bytes of a record that must outlive its batch.");

    /// <summary>Walks the batch's records (<c>foreach</c>); allocates nothing.</summary>
    public ref struct Enumerator
    {
        private readonly Fetcher _fetcher;
        private readonly int _version;
        private Record _current;

        internal Enumerator(Fetcher fetcher, int version)
        {
            _fetcher = fetcher;
            _version = version;
            _current = default;
        }

        /// <summary>The record reached by <see cref="MoveNext"/>.</summary>
        public readonly ConsumedRecord Current => new(in _current, _fetcher, _version);

        /// <summary>Moves to the next record, moving its partition's position past it; false when the batch has no
        /// more.</summary>
        /// <exception cref="ObjectDisposedException">The batch has ended.</exception>
        /// <exception cref="CorruptRecordException">A record whose batch passed its CRC check is malformed (written
        /// so by a faulty producer); the position stays before it.</exception>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool MoveNext()
        {
            Fetcher fetcher = _fetcher;
            if (fetcher.LendVersion != _version)
                ThrowEnded();
            return fetcher.TryNextLent(out _current);
        }
    }
}
