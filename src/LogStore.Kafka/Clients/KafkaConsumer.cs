using System.Runtime.CompilerServices;
using Confluent.Kafka;
using CK = Confluent.Kafka;

namespace LogStore.Kafka.Clients;

/// <summary>
/// LogStore's <see cref="LogStore.IConsumer{TKey, TValue}"/> on Confluent's consumer: librdkafka joins the group,
/// prefetches and commits; this class converts results, rebalance callbacks and errors. Not thread-safe, as the
/// embedded consumer and Confluent's: one logical reader at a time. Rebalance events are raised from within
/// <see cref="ConsumeAsync"/>, where Confluent serves them, so <see cref="Commit()"/> works inside them.
/// </summary>
internal sealed partial class KafkaConsumer<TKey, TValue> : LogStore.IConsumer<TKey, TValue>
{
    // How often a waiting ConsumeAsync looks at its cancellation token: Confluent's Consume blocks in native code.
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);
    private readonly CK.IConsumer<TKey, TValue> _consumer;
    private readonly ConsumerOptions _options;
    private readonly TimeSpan _requestTimeout;
    private readonly Lazy<IAdminClient> _metadata;
    // The offsets given to Assign, IncrementalAssign and Seek: Confluent knows no position before the first fetch, and
    // Position answers from these until it does.
    private readonly Dictionary<LogStore.TopicPartition, long> _requested = [];
    private bool _closed;

    public KafkaConsumer(KafkaClientSupplierOptions supplier, ConsumerOptions options,
        LogStore.IDeserializer<TKey> keyDeserializer, LogStore.IDeserializer<TValue> valueDeserializer)
    {
        _options = options;
        _requestTimeout = supplier.RequestTimeout;
        _consumer = new ConsumerBuilder<TKey, TValue>(KafkaConfigs.Consumer(supplier, options))
            .SetKeyDeserializer(new DeserializerAdapter<TKey>(keyDeserializer))
            .SetValueDeserializer(new DeserializerAdapter<TValue>(valueDeserializer))
            .SetPartitionsAssignedHandler((_, partitions) => Raise(PartitionsAssigned, KafkaMessages.ToLogStore(partitions)))
            .SetPartitionsRevokedHandler((_, partitions) => Raise(PartitionsRevoked, KafkaMessages.ToLogStore(partitions)))
            .Build();
        // Topic metadata through the consumer's own connection, for Subscribe's unknown-topic check.
        _metadata = new Lazy<IAdminClient>(() => new DependentAdminClientBuilder(_consumer.Handle).Build());
    }

    public string? GroupId => _options.GroupId;

    public IReadOnlyList<LogStore.TopicPartition> Assignment
    {
        get
        {
            ThrowIfClosed();
            return KafkaMessages.ToLogStore(_consumer.Assignment);
        }
    }

    public event Action<IReadOnlyList<LogStore.TopicPartition>>? PartitionsAssigned;

    public event Action<IReadOnlyList<LogStore.TopicPartition>>? PartitionsRevoked;

    public void Subscribe(IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ThrowIfClosed();
        string[] list = [.. topics];
        if (_options.GroupId is null)
            throw new InvalidOperationException("Subscribe needs ConsumerOptions.GroupId: a consumer without a group takes partitions with Assign.");
        foreach (string topic in list)
            ThrowIfUnknown(topic);
        _consumer.Subscribe(list);
    }

    public void Unsubscribe()
    {
        ThrowIfClosed();
        _consumer.Unsubscribe();
        _requested.Clear();
    }

    public void Assign(IEnumerable<LogStore.TopicPartitionOffset> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        var list = new List<CK.TopicPartitionOffset>();
        foreach (LogStore.TopicPartitionOffset tpo in partitions)
            list.Add(tpo.ToKafka());
        _consumer.Assign(list);
        _requested.Clear();
        foreach (CK.TopicPartitionOffset tpo in list)
            _requested[tpo.TopicPartition.ToLogStore()] = tpo.Offset.Value;
    }

    public void IncrementalAssign(IEnumerable<LogStore.TopicPartitionOffset> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        var list = new List<CK.TopicPartitionOffset>();
        foreach (LogStore.TopicPartitionOffset tpo in partitions)
            list.Add(tpo.ToKafka());
        _consumer.IncrementalAssign(list);
        foreach (CK.TopicPartitionOffset tpo in list)
            _requested[tpo.TopicPartition.ToLogStore()] = tpo.Offset.Value;
    }

    public void IncrementalUnassign(IEnumerable<LogStore.TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        List<CK.TopicPartition> list = ToKafka(partitions);
        _consumer.IncrementalUnassign(list);
        foreach (CK.TopicPartition tp in list)
            _requested.Remove(tp.ToLogStore());
    }

    public void Pause(IEnumerable<LogStore.TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        _consumer.Pause(ToKafka(partitions));
    }

    public void Resume(IEnumerable<LogStore.TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfClosed();
        _consumer.Resume(ToKafka(partitions));
    }

    public ValueTask<LogStore.ConsumeResult<TKey, TValue>?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout is zero or more, or Timeout.InfiniteTimeSpan.");
        ThrowIfClosed();
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<LogStore.ConsumeResult<TKey, TValue>?>(cancellationToken);
        // Fast path: a record librdkafka has already prefetched.
        LogStore.ConsumeResult<TKey, TValue>? ready = ConsumeOnce(TimeSpan.Zero);
        if (ready is not null || timeout == TimeSpan.Zero)
            return ValueTask.FromResult(ready);
        return ConsumeSlowAsync(timeout, cancellationToken);
    }

    public async IAsyncEnumerable<LogStore.ConsumeResult<TKey, TValue>> ConsumeAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            LogStore.ConsumeResult<TKey, TValue>? result = await ConsumeAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            if (result is not null)
                yield return result;
        }
    }

    public void Close()
    {
        ThrowIfClosed();
        _closed = true;
        try
        {
            _consumer.Close();
        }
        catch (KafkaException e)
        {
            throw KafkaErrors.From(e, default, producing: false);
        }
        finally
        {
            Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_closed)
            return;
        _closed = true;
        // Leave the group (auto-committing first), as the embedded consumer's dispose, and swallow failures; Confluent's
        // Close waits on the network, so off the caller's thread.
        await Task.Factory.StartNew(static state =>
        {
            var self = (KafkaConsumer<TKey, TValue>)state!;
            try
            {
                self._consumer.Close();
            }
            catch (Exception)
            {
                // Never thrown from a dispose, as embedded (a revoke handler's failure, a failed commit): Close throws them.
            }
            finally
            {
                self.Release();
            }
        }, this, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private async ValueTask<LogStore.ConsumeResult<TKey, TValue>?> ConsumeSlowAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Confluent's Consume blocks a thread in native code: wait on a thread of our own, in slices that look at the
        // token, rather than on the caller's or a pool thread (several idle consumers would starve the pool).
        return await Task.Factory.StartNew(() =>
        {
            long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                    return null;
                TimeSpan slice = left < PollSlice.TotalMilliseconds ? TimeSpan.FromMilliseconds(left) : PollSlice;
                if (ConsumeOnce(slice) is { } result)
                    return result;
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private LogStore.ConsumeResult<TKey, TValue>? ConsumeOnce(TimeSpan wait)
    {
        CK.ConsumeResult<TKey, TValue>? result;
        try
        {
            result = _consumer.Consume(wait);
        }
        catch (CK.ConsumeException e) when (e.Error.Code is ErrorCode.Local_KeyDeserialization or ErrorCode.Local_ValueDeserialization)
        {
            // As embedded: the position has moved past the record, the next call goes on with the following one.
            CK.ConsumeResult<byte[], byte[]> record = e.ConsumerRecord;
            var where = new LogStore.TopicPartitionOffset(new LogStore.TopicPartition(record.Topic, record.Partition.Value), record.Offset.Value);
            throw new LogStore.ConsumeException(where, e.Error.Code == ErrorCode.Local_KeyDeserialization, e.InnerException ?? e);
        }
        catch (CK.ConsumeException e)
        {
            CK.ConsumeResult<byte[], byte[]>? record = e.ConsumerRecord;
            var where = record is null ? default : new LogStore.TopicPartition(record.Topic, record.Partition.Value);
            throw KafkaErrors.From(e, where, producing: false);
        }
        if (result is null)
            return null;
        var partition = new LogStore.TopicPartition(result.Topic, result.Partition.Value);
        if (result.IsPartitionEOF)
            return new LogStore.ConsumeResult<TKey, TValue>(partition, result.Offset.Value);
        return new LogStore.ConsumeResult<TKey, TValue>(partition, result.Offset.Value, KafkaMessages.ToLogStore(result.Message));
    }

    private void ThrowIfUnknown(string topic)
    {
        Metadata metadata = _metadata.Value.GetMetadata(topic, _requestTimeout);
        TopicMetadata? found = metadata.Topics.Find(t => t.Topic == topic);
        if (found is null || found.Error.Code == ErrorCode.UnknownTopicOrPart || found.Partitions.Count == 0)
            throw new UnknownTopicException(topic);
        if (found.Error.IsError)
            throw KafkaErrors.ToException(found.Error, new LogStore.TopicPartition(topic, -1), producing: false);
    }

    private static void Raise(Action<IReadOnlyList<LogStore.TopicPartition>>? handler, List<LogStore.TopicPartition> partitions)
    {
        // The embedded consumer raises nothing for an empty change; Confluent calls its handlers for every rebalance.
        if (partitions.Count > 0)
            handler?.Invoke(partitions);
    }

    private static List<CK.TopicPartition> ToKafka(IEnumerable<LogStore.TopicPartition> partitions)
    {
        var list = new List<CK.TopicPartition>();
        foreach (LogStore.TopicPartition tp in partitions)
            list.Add(tp.ToKafka());
        return list;
    }

    private void Release()
    {
        if (_metadata.IsValueCreated)
            _metadata.Value.Dispose();
        _consumer.Dispose();
    }

    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(_closed, this);
}
