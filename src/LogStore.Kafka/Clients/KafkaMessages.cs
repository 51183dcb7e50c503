using Confluent.Kafka;

namespace LogStore.Kafka.Clients;

/// <summary>Converts messages, partitions and offsets between LogStore's types and Confluent's. Stateless.</summary>
internal static class KafkaMessages
{
    // DateTimeOffset's range in Unix milliseconds: a timestamp outside it is left unset, as the embedded consumer does.
    private const long MinTimestampMs = -62_135_596_800_000;
    private const long MaxTimestampMs = 253_402_300_799_999;

    public static Confluent.Kafka.TopicPartition ToKafka(this LogStore.TopicPartition tp) => new(tp.Topic, tp.Partition);

    public static LogStore.TopicPartition ToLogStore(this Confluent.Kafka.TopicPartition tp) => new(tp.Topic, tp.Partition.Value);

    // LogStore's Offset constants have Confluent's values (Beginning -2, End -1, Stored -1000, Unset -1001).
    public static Confluent.Kafka.TopicPartitionOffset ToKafka(this LogStore.TopicPartitionOffset tpo) =>
        new(tpo.TopicPartition.Topic, tpo.TopicPartition.Partition, tpo.Offset);

    public static LogStore.TopicPartitionOffset ToLogStore(this Confluent.Kafka.TopicPartitionOffset tpo) =>
        new(new LogStore.TopicPartition(tpo.Topic, tpo.Partition.Value), tpo.Offset.Value);

    public static List<LogStore.TopicPartition> ToLogStore(List<Confluent.Kafka.TopicPartition> partitions)
    {
        var result = new List<LogStore.TopicPartition>(partitions.Count);
        foreach (Confluent.Kafka.TopicPartition tp in partitions)
            result.Add(tp.ToLogStore());
        return result;
    }

    public static List<LogStore.TopicPartition> ToLogStore(List<Confluent.Kafka.TopicPartitionOffset> partitions)
    {
        var result = new List<LogStore.TopicPartition>(partitions.Count);
        foreach (Confluent.Kafka.TopicPartitionOffset tpo in partitions)
            result.Add(new LogStore.TopicPartition(tpo.Topic, tpo.Partition.Value));
        return result;
    }

    /// <summary>The message Confluent's producer sends for <paramref name="message"/>.</summary>
    public static Confluent.Kafka.Message<TKey, TValue> ToKafka<TKey, TValue>(LogStore.Message<TKey, TValue> message)
    {
        var outgoing = new Confluent.Kafka.Message<TKey, TValue>
        {
            Key = message.Key,
            Value = message.Value,
            Timestamp = message.Timestamp is { } t ? new Timestamp(t) : Timestamp.Default,
        };
        if (message.Headers is { Count: > 0 } headers)
        {
            var kafkaHeaders = new Confluent.Kafka.Headers();
            foreach (LogStore.Header header in headers)
                kafkaHeaders.Add(header.Key, header.Value);
            outgoing.Headers = kafkaHeaders;
        }
        return outgoing;
    }

    /// <summary>LogStore's message for a consumed record: headers only when there are some, as the embedded consumer.</summary>
    public static LogStore.Message<TKey, TValue> ToLogStore<TKey, TValue>(Confluent.Kafka.Message<TKey, TValue> message)
    {
        var result = new LogStore.Message<TKey, TValue> { Key = message.Key, Value = message.Value };
        long ms = message.Timestamp.UnixTimestampMs;
        if (message.Timestamp.Type != Confluent.Kafka.TimestampType.NotAvailable && ms is >= MinTimestampMs and <= MaxTimestampMs)
            result.SetUnixTimestamp(ms);
        if (message.Headers is { Count: > 0 } kafkaHeaders)
        {
            var headers = new LogStore.Headers();
            foreach (IHeader header in kafkaHeaders)
                headers.Add(header.Key, header.GetValueBytes());
            result.Headers = headers;
        }
        return result;
    }

    public static DateTimeOffset ToDateTimeOffset(Timestamp timestamp) => DateTimeOffset.FromUnixTimeMilliseconds(timestamp.UnixTimestampMs);
}
