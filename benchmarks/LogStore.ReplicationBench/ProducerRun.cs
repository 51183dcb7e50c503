namespace LogStore.ReplicationBench;

/// <summary>
/// Produces records as an application writes them: a new <see cref="Message{TKey,TValue}"/> per record with a typed
/// key (the record's number, Int64) and the one payload array, through the in-process producer of the partition's
/// leader node, fire-and-forget with a delivery callback; done when every record is acknowledged.
/// </summary>
internal static class ProducerRun
{
    /// <summary>The bound on waiting for the last acknowledgement after the last record was handed over.</summary>
    private static readonly TimeSpan AckLimit = TimeSpan.FromMinutes(5);

    public static IProducer<long, byte[]> Create(Broker leader, Acks acks) =>
        leader.CreateProducer(new ProducerOptions { Acks = acks }, Serializers.Int64, Serializers.ByteArray);

    /// <summary>
    /// Writes one record with acks=all and waits for it: once it is acknowledged every follower fetches the new
    /// partition. A follower's fetch parked at the leader for other partitions (up to its 500 ms max wait) learns of a
    /// new one only with the next request, so without this a trial of a few seconds timed that start too.
    /// </summary>
    public static async Task PrimeAsync(Broker leader, string topic, CancellationToken cancellationToken)
    {
        await using IProducer<long, byte[]> producer = Create(leader, Acks.All);
        await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<long, byte[]> { Key = -1, Value = [] }, cancellationToken);
    }

    public static async Task ProduceAsync(IProducer<long, byte[]> producer, string topic, long records, byte[] payload, CancellationToken cancellationToken)
    {
        var partition = new TopicPartition(topic, 0);
        var acknowledged = new Acknowledgements(records);
        Action<DeliveryReport<long, byte[]>> onDelivery = acknowledged.OnDelivery;
        for (long i = 0; i < records; i++)
            producer.Produce(partition, new Message<long, byte[]> { Key = i, Value = payload }, onDelivery);
        await producer.FlushAsync(cancellationToken);
        await acknowledged.Done.WaitAsync(AckLimit, cancellationToken);
    }

    private sealed class Acknowledgements(long expected)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _count;

        public Task Done => _done.Task;

        public void OnDelivery(DeliveryReport<long, byte[]> report)
        {
            if (report.Error is not null)
                _done.TrySetException(new InvalidOperationException($"Record {report.Message.Key} failed: {report.Error.Message}", report.Error));
            else if (Interlocked.Increment(ref _count) == expected)
                _done.TrySetResult();
        }
    }
}
