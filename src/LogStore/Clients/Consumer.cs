using LogStore.Clients.Groups;
using LogStore.Diagnostics;

namespace LogStore.Clients;

/// <summary>
/// The consumer behind <see cref="Broker.CreateConsumer{TKey, TValue}"/>: partitions assigned by hand
/// (<see cref="Assign"/>) or by its group (<see cref="Subscribe"/>), records fetched and decoded lazily by a
/// <see cref="Fetcher"/>, positions committed to the broker's <see cref="OffsetStore"/> (in a cluster, to the group
/// coordinator's, over the Kafka protocol when another node coordinates the group: see <see cref="RemoteGroupMember"/>).
/// </summary>
/// <remarks>
/// <para>Not thread-safe, as Kafka's consumer: one logical reader calls it. Its group, its heartbeat and its
/// auto-commit timer never call into it; they raise a <see cref="PollSignal"/>, and everything they ask for
/// (revoking, assigning, committing) happens on the caller's thread inside the next ConsumeAsync — or inside the one
/// waiting now, which they wake. PartitionsRevoked and PartitionsAssigned are therefore raised from ConsumeAsync
/// (and from Unsubscribe and DisposeAsync for the final revoke), never from another thread.</para>
/// <para>Special offsets for <see cref="Assign"/> and <see cref="Seek"/>: see <see cref="Offset"/>.</para>
/// </remarks>
internal sealed partial class Consumer<TKey, TValue> : IConsumer<TKey, TValue>
{
    private readonly Broker _broker;
    private readonly ConsumerOptions _options;
    private readonly IDeserializer<TKey> _keyDeserializer;
    private readonly IDeserializer<TValue> _valueDeserializer;

    // With the built-in ReadOnlyMemory deserializer, keys and values are views of the fetched bytes (as Kafka's
    // ByteBufferDeserializer returns slices of the fetch response): no copy per record.
    private readonly bool _keyIsShared;
    private readonly bool _valueIsShared;

    // Keys read with the built-in Null deserializer (Confluent.Kafka's Null keys, the usual case) skip the call.
    private readonly bool _keyIsNull;

    // Built-in deserializers that cannot fail are called directly; others through a handler that names the record.
    private readonly bool _keyNeverThrows;
    private readonly bool _valueNeverThrows;
    private readonly TimeProvider _time;
    private readonly Fetcher _fetcher;
    private readonly PollSignal _signal = new();
    private readonly CancellationTokenSource _disposing = new();
    private ITimer? _autoCommitTimer;
    private AssignmentMode _mode;
    private const int Open = 0;
    private const int Closing = 1;
    private const int Closed = 2;
    private int _disposed;
    private int _activePolls;
    private TaskCompletionSource? _pollsDrained;
    private bool _inHandler;

    public Consumer(Broker broker, ConsumerOptions options, IDeserializer<TKey> keyDeserializer, IDeserializer<TValue> valueDeserializer)
    {
        _broker = broker;
        _options = options;
        _keyDeserializer = keyDeserializer;
        _valueDeserializer = valueDeserializer;
        _time = broker.Options.TimeProvider;
        _keyIsShared = typeof(TKey) == typeof(ReadOnlyMemory<byte>) && ReferenceEquals(keyDeserializer, Deserializers.ReadOnlyMemory);
        _valueIsShared = typeof(TValue) == typeof(ReadOnlyMemory<byte>) && ReferenceEquals(valueDeserializer, Deserializers.ReadOnlyMemory);
        _keyIsNull = ReferenceEquals(keyDeserializer, Deserializers.Null);
        _keyNeverThrows = Deserializers.NeverThrows(keyDeserializer);
        _valueNeverThrows = Deserializers.NeverThrows(valueDeserializer);
        _fetcher = new Fetcher(options, _time, shareBuffers: _keyIsShared || _valueIsShared, _signal);
        LogStoreMetrics.TrackConsumer(_fetcher, options.GroupId);
        if (options.GroupId is not null && options.EnableAutoCommit)
        {
            _autoCommitTimer = _time.CreateTimer(static state => ((PollSignal)state!).Raise(PollSignal.AutoCommitDue),
                _signal, options.AutoCommitInterval, options.AutoCommitInterval);
        }
    }

    private enum AssignmentMode
    {
        None,
        Manual,
        Subscribed,
    }

    /// <inheritdoc/>
    public string? GroupId => _options.GroupId;

    /// <inheritdoc/>
    public IReadOnlyList<TopicPartition> Assignment
    {
        get
        {
            IReadOnlyList<Fetcher.PartitionState> partitions = _fetcher.Partitions;
            var assignment = new TopicPartition[partitions.Count];
            for (int i = 0; i < assignment.Length; i++)
                assignment[i] = partitions[i].Id;
            return assignment;
        }
    }

    /// <inheritdoc/>
    public event Action<IReadOnlyList<TopicPartition>>? PartitionsAssigned;

    /// <inheritdoc/>
    public event Action<IReadOnlyList<TopicPartition>>? PartitionsRevoked;

    /// <summary>The consumer's group membership, for tests: null unless subscribed.</summary>
    internal IGroupMembership? Member => _member;

    /// <summary>
    /// Consumes <paramref name="partitions"/> from the offsets given, outside group management, replacing any earlier
    /// manual assignment; partitions that stay keep nothing of their old position. An empty list unassigns.
    /// </summary>
    /// <exception cref="InvalidOperationException">The consumer is subscribed.</exception>
    /// <exception cref="UnknownTopicException">A topic or partition does not exist.</exception>
    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfDisposed();
        RequireManualAssignment();
        var wanted = new List<(Partition Partition, long Offset)>();
        foreach (TopicPartitionOffset tpo in partitions)
        {
            ValidateOffset(tpo.Offset, nameof(partitions));
            wanted.Add((GetPartition(tpo.TopicPartition), tpo.Offset));
        }
        var keep = new HashSet<TopicPartition>();
        foreach ((Partition partition, _) in wanted)
            keep.Add(partition.Id);
        var dropped = new List<TopicPartition>();
        foreach (Fetcher.PartitionState state in _fetcher.Partitions)
        {
            if (!keep.Contains(state.Id))
                dropped.Add(state.Id);
        }
        if (dropped.Count > 0)
        {
            AutoCommit(dropped);
            foreach (TopicPartition tp in dropped)
                _fetcher.Remove(tp);
        }
        AddAssigned(wanted);
    }

    /// <summary>Adds manually assigned partitions at their offsets (special ones resolved at the next poll).</summary>
    private void AddAssigned(List<(Partition Partition, long Offset)> partitions)
    {
        foreach ((Partition partition, long offset) in partitions)
        {
            (long position, PositionRule rule) = ToPosition(offset);
            _fetcher.Add(partition, position, rule);
        }
        _mode = _fetcher.Partitions.Count > 0 ? AssignmentMode.Manual : AssignmentMode.None;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The partition is not assigned to this consumer.</exception>
    public void Seek(TopicPartitionOffset position)
    {
        ThrowIfDisposed();
        ValidateOffset(position.Offset, nameof(position));
        Fetcher.PartitionState state = GetAssigned(position.TopicPartition);
        (long offset, PositionRule rule) = ToPosition(position.Offset);
        _fetcher.Seek(state, offset, rule);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The partition is not assigned to this consumer.</exception>
    /// <exception cref="OffsetOutOfRangeException">The position is unknown and <see cref="AutoOffsetReset.Error"/> applies.</exception>
    public long Position(TopicPartition partition)
    {
        ThrowIfDisposed();
        Fetcher.PartitionState state = GetAssigned(partition);
        if (state.Position == Fetcher.UnknownPosition)
            ResolvePosition(state);
        return state.Position;
    }

    /// <inheritdoc/>
    /// <exception cref="UnknownTopicException">The topic or partition does not exist.</exception>
    public long? OffsetForTimestamp(TopicPartition partition, DateTimeOffset timestamp)
    {
        ThrowIfDisposed();
        return GetPartition(partition).OffsetForTimestamp(timestamp);
    }

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The consumer was already closed or disposed.</exception>
    public void Close()
    {
        if (Interlocked.CompareExchange(ref _disposed, Closing, Open) != Open)
            throw new ObjectDisposedException(GetType().FullName, "The consumer was already closed or disposed.");
        ValueTask closing = CloseAsync(throwErrors: true);
        // Completes at once unless a ConsumeAsync on another thread still has to leave.
        if (!closing.IsCompletedSuccessfully)
            closing.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Leaves the group (committing first when auto-commit is on, and raising PartitionsRevoked, in which Commit still
    /// works), or commits the manual assignment's positions when auto-commit is on; then drops every buffer. Once the
    /// broker is disposed nothing is committed. Never throws: a failure, in a handler too, is logged.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.CompareExchange(ref _disposed, Closing, Open) != Open)
            return;
        try
        {
            await CloseAsync(throwErrors: false).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            GroupLog.CloseFailed(_broker.Logger, _options.GroupId, e);
        }
    }

    private async ValueTask CloseAsync(bool throwErrors)
    {
        try
        {
            _signal.Raise(PollSignal.Closed);
            await _disposing.CancelAsync().ConfigureAwait(false);
            Interlocked.Exchange(ref _autoCommitTimer, null)?.Dispose();
            await WaitForPollsToEndAsync().ConfigureAwait(false);
            if (!IsBrokerDisposed())
            {
                if (_mode == AssignmentMode.Subscribed)
                    LeaveGroup();
                else if (_mode == AssignmentMode.Manual)
                    AutoCommit(null);
            }
        }
        catch (Exception e) when (!throwErrors)
        {
            GroupLog.CloseFailed(_broker.Logger, _options.GroupId, e);
        }
        finally
        {
            Volatile.Write(ref _disposed, Closed);
            _mode = AssignmentMode.None;
            LogStoreMetrics.UntrackConsumer(_fetcher);
            _fetcher.Dispose();
            _disposing.Dispose();
        }
    }

    /// <summary>
    /// A ConsumeAsync waiting on another thread (ConsumeAllAsync in a background loop) is woken by the cancellation
    /// above and ends with <see cref="ObjectDisposedException"/>; the buffers are released only after it has left.
    /// Not when disposing from inside a partition handler, which runs within that very ConsumeAsync.
    /// </summary>
    private async ValueTask WaitForPollsToEndAsync()
    {
        if (_inHandler)
            return;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _pollsDrained, drained);
        if (Volatile.Read(ref _activePolls) == 0)
            drained.TrySetResult();
        await drained.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Throws once the consumer is closing or closed, except inside the final PartitionsRevoked of a close: the
    /// standard manual-commit pattern commits there, and that commit must not be lost.
    /// </summary>
    private void ThrowIfDisposed()
    {
        int state = Volatile.Read(ref _disposed);
        ObjectDisposedException.ThrowIf(state != Open && !(state == Closing && _inHandler), this);
        _broker.ThrowIfDisposed();
    }

    private bool IsBrokerDisposed()
    {
        try
        {
            _broker.ThrowIfDisposed();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private Partition GetPartition(TopicPartition tp)
    {
        ArgumentNullException.ThrowIfNull(tp.Topic, nameof(tp));
        if (!_broker.TryGetTopic(tp.Topic, out Topic? topic))
            throw new UnknownTopicException(tp.Topic);
        if ((uint)tp.Partition >= (uint)topic.Partitions.Count)
            throw new UnknownTopicException(tp.Topic, tp.Partition);
        return topic.Partitions[tp.Partition];
    }

    private Fetcher.PartitionState GetAssigned(TopicPartition tp) =>
        _fetcher.TryGet(tp, out Fetcher.PartitionState? state)
            ? state
            : throw new InvalidOperationException($"{tp} is not assigned to this consumer; its assignment is [{string.Join(", ", Assignment)}].");

    private static void ValidateOffset(long offset, string paramName)
    {
        if (offset < 0 && offset is not (Offset.Beginning or Offset.End or Offset.Stored or Offset.Unset))
        {
            throw new ArgumentOutOfRangeException(paramName, offset,
                "An offset is 0 or more, or one of -2 (beginning), -1 (end), -1000 (stored) and -1001 (unset).");
        }
    }

    private static (long Position, PositionRule Rule) ToPosition(long offset) => offset switch
    {
        Offset.Beginning => (Fetcher.UnknownPosition, PositionRule.Earliest),
        Offset.End => (Fetcher.UnknownPosition, PositionRule.Latest),
        Offset.Stored or Offset.Unset => (Fetcher.UnknownPosition, PositionRule.Committed),
        _ => (offset, PositionRule.Committed),
    };
}
