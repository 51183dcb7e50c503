using Kafka = Confluent.Kafka;

namespace LogStore.Tool.Mirror;

/// <summary>
/// Where the mirror of one source partition stands. The command's thread produces and moves <see cref="Next"/> and
/// <see cref="Settled"/>; librdkafka's delivery thread counts outcomes through <see cref="OnDelivery"/>, one handler
/// per partition so that producing a record allocates no callback of its own.
/// </summary>
internal sealed class PartitionProgress
{
    private long _delivered;
    private long _failed;
    private Kafka.Error? _firstError;

    public PartitionProgress(Partition source, Kafka.TopicPartition target, long start, long end)
    {
        Source = source;
        Target = target;
        Start = start;
        End = end;
        Next = start;
        Settled = start;
        OnDelivery = Report;
    }

    public Partition Source { get; }

    /// <summary>The target topic and partition; <see cref="Kafka.Partition.Any"/> when the producer picks by key.</summary>
    public Kafka.TopicPartition Target { get; }

    /// <summary>The first offset to mirror.</summary>
    public long Start { get; }

    /// <summary>The log end offset when the command started: it mirrors up to there and stops.</summary>
    public long End { get; }

    /// <summary>The next offset to produce.</summary>
    public long Next { get; set; }

    /// <summary>Every record before this offset was delivered: where a rerun resumes (the checkpoint).</summary>
    public long Settled { get; set; }

    /// <summary>Records handed to the producer, and their key, value and header bytes.</summary>
    public long Produced { get; set; }

    public long ProducedBytes { get; set; }

    /// <summary>Records the cluster acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Records the producer gave up on.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The first delivery error, or null.</summary>
    public Kafka.Error? FirstError => Volatile.Read(ref _firstError);

    public Action<Kafka.DeliveryReport<byte[]?, byte[]?>> OnDelivery { get; }

    private void Report(Kafka.DeliveryReport<byte[]?, byte[]?> report)
    {
        if (!report.Error.IsError)
        {
            Interlocked.Increment(ref _delivered);
            return;
        }
        Interlocked.Increment(ref _failed);
        Interlocked.CompareExchange(ref _firstError, report.Error, null);
    }
}
