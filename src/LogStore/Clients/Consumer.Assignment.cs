namespace LogStore.Clients;

/// <summary>Confluent.Kafka's assignment calls beside Assign: pausing partitions and changing a manual assignment a
/// partition at a time.</summary>
internal sealed partial class Consumer<TKey, TValue>
{
    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A partition is not assigned to this consumer.</exception>
    public void Pause(IEnumerable<TopicPartition> partitions) => SetPaused(partitions, paused: true);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A partition is not assigned to this consumer.</exception>
    public void Resume(IEnumerable<TopicPartition> partitions) => SetPaused(partitions, paused: false);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The consumer is subscribed, or a partition is already assigned.</exception>
    /// <exception cref="UnknownTopicException">A topic or partition does not exist.</exception>
    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfDisposed();
        RequireManualAssignment();
        var added = new List<(Partition Partition, long Offset)>();
        foreach (TopicPartitionOffset tpo in partitions)
        {
            ValidateOffset(tpo.Offset, nameof(partitions));
            if (_fetcher.TryGet(tpo.TopicPartition, out _) || added.Exists(a => a.Partition.Id == tpo.TopicPartition))
                throw new InvalidOperationException($"{tpo.TopicPartition} is already assigned to this consumer.");
            added.Add((GetPartition(tpo.TopicPartition), tpo.Offset));
        }
        AddAssigned(added);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The consumer is subscribed, or a partition is not assigned.</exception>
    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfDisposed();
        RequireManualAssignment();
        List<TopicPartition> removed = [.. partitions];
        foreach (TopicPartition tp in removed)
            GetAssigned(tp);
        AutoCommit(removed);
        foreach (TopicPartition tp in removed)
            _fetcher.Remove(tp);
        _mode = _fetcher.Partitions.Count > 0 ? AssignmentMode.Manual : AssignmentMode.None;
    }

    private void SetPaused(IEnumerable<TopicPartition> partitions, bool paused)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfDisposed();
        List<Fetcher.PartitionState> states = [];
        foreach (TopicPartition tp in partitions)
            states.Add(GetAssigned(tp));
        foreach (Fetcher.PartitionState state in states)
            _fetcher.SetPaused(state, paused);
    }

    private void RequireManualAssignment()
    {
        if (_mode == AssignmentMode.Subscribed)
        {
            throw new InvalidOperationException(
                "This consumer is subscribed to topics through its group; its partitions are assigned by the group. Call Unsubscribe first.");
        }
    }
}
