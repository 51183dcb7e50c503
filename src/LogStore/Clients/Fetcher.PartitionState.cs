namespace LogStore.Clients;

internal sealed partial class Fetcher
{
    /// <summary>
    /// One assigned partition as the consumer sees it (Kafka's TopicPartitionState): the position (the offset of the
    /// next record to return), the offset the next fetch starts at (at or past the position: what is buffered lies in
    /// between), the fetch being decoded and the read ahead. Used by the consumer's thread only.
    /// </summary>
    internal sealed class PartitionState(Partition partition)
    {
        /// <summary>The partition.</summary>
        public Partition Partition { get; } = partition;

        /// <summary>Its id.</summary>
        public TopicPartition Id { get; } = partition.Id;

        /// <summary>The offset of the next record to return, or <see cref="UnknownPosition"/>.</summary>
        public long Position;

        /// <summary>Where the next fetch starts.</summary>
        public long FetchOffset;

        /// <summary>How an unknown position is resolved.</summary>
        public PositionRule Rule;

        /// <summary>The fetch being decoded.</summary>
        public CompletedFetch? Fetch;

        /// <summary>The next fetch, read ahead on the thread pool or brought by a long poll.</summary>
        public ReadAhead? Prefetch;

        /// <summary>Whether its last fetch averaged <see cref="ValueCopyMinRecordBytes"/> or more per record (shared
        /// memory only: see <see cref="ShareMode"/>).</summary>
        public bool LargeRecords;

        /// <summary>The last offset committed by this consumer, to skip commits that would change nothing.</summary>
        public long LastCommitted = -1;

        /// <summary>The offset stored for the next commit with ConsumerOptions.EnableAutoOffsetStore off, or
        /// <see cref="UnknownPosition"/>.</summary>
        public long Stored = UnknownPosition;

        /// <summary>The position at which the end of the partition was last reported (ConsumerOptions.EnablePartitionEof);
        /// reported again once the position moved.</summary>
        public long EofReportedAt = UnknownPosition;

        /// <summary>Set while the application paused it: its records are neither fetched nor returned.</summary>
        public bool Paused;

        /// <summary>Set once the partition is no longer assigned.</summary>
        public bool Removed;

        /// <inheritdoc/>
        public override string ToString() => $"{Id}@{(Position == UnknownPosition ? "?" : Position)}";
    }
}

/// <summary>How a fetch hands out keys and values as <see cref="ReadOnlyMemory{T}"/> that outlives it.</summary>
internal enum ShareMode
{
    /// <summary>Not at all: the fetch's buffers go back to the pool when it is done.</summary>
    None,

    /// <summary>Views of the fetched (or decompressed) bytes, whose buffers then belong to the garbage collector.</summary>
    FetchBuffer,

    /// <summary>A copy of each key and value; the fetch's buffers go back to the pool.</summary>
    ValueCopies,
}

/// <summary>How a consumer resolves a position it does not know yet.</summary>
internal enum PositionRule
{
    /// <summary>The group's committed offset when valid, else <see cref="ConsumerOptions.AutoOffsetReset"/>.</summary>
    Committed,

    /// <summary>The log start offset (Kafka's OFFSET_BEGINNING, -2).</summary>
    Earliest,

    /// <summary>The log end offset (Kafka's OFFSET_END, -1).</summary>
    Latest,
}
