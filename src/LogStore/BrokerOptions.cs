using Microsoft.Extensions.Logging;

namespace LogStore;

/// <summary>How a <see cref="Broker"/> opens its data directory.</summary>
public sealed class BrokerOptions
{
    /// <summary>The directory holding every partition, created if missing; one Broker at a time may hold it (Kafka's log.dirs).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Settings for topics created without their own. Default: <see cref="TopicConfig"/>'s defaults.</summary>
    public TopicConfig DefaultTopicConfig { get; init; } = new();

    /// <summary>Where recovery, truncation, roll and deletion are reported. Default null: nothing is logged.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock for timestamps, roll, flush and retention; tests pass a fake one. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>How often retention is checked. Default 5 minutes (log.retention.check.interval.ms).</summary>
    public TimeSpan RetentionCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often time-based flushing (<see cref="TopicConfig.FlushInterval"/>) is checked. Default 1 second (log.flush.scheduler.interval.ms).</summary>
    public TimeSpan FlushCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often every partition's recovery point is checkpointed when a flush policy or durable appends moved
    /// it (explicit flushes, rolls and close checkpoint at once). Recovery after a crash cuts damaged bytes only past the
    /// checkpointed recovery point, so this bounds how far back fsynced records can be taken for a torn write. Default
    /// 60 seconds (log.flush.offset.checkpoint.interval.ms).</summary>
    public TimeSpan RecoveryPointCheckpointInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most segment files (.log handles, .index and .timeindex mappings, of active segments too) kept open at once; the least recently used are closed beyond it and reopen on their next use, so 100,000 segments or 10,000 partitions stay far below the OS limits on handles and mappings. Each counts one file descriptor, an index one mapping too; a partition being appended to uses up to three. Default 1024.</summary>
    public int MaxOpenSegmentFiles { get; init; } = 1024;

    /// <summary>A Kafka wire-protocol listener, so that Kafka clients and tools reach the store over the network; its
    /// bound address is <see cref="Broker.KafkaEndpoint"/>. Default null: the store is reachable in-process only.</summary>
    public KafkaListenerOptions? KafkaListener { get; init; }

    /// <summary>Makes this Broker one node of a replicated store (a Raft controller beside it, followers fetching from
    /// leaders); requires <see cref="KafkaListener"/>, which the other nodes reach. Default null: a single node.</summary>
    public ReplicationOptions? Replication { get; init; }

    /// <summary>The transport the Kafka listener runs on; tests and simulations pass an in-memory one. Default: TCP sockets.</summary>
    internal Microsoft.AspNetCore.Connections.IConnectionListenerFactory? KafkaTransport { get; init; }

    /// <summary>The file system the Broker writes through; tests pass a fault-injecting one. Default: the disk.</summary>
    internal Storage.Files.FileSystem FileSystem { get; init; } = Storage.Files.FileSystem.Disk;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory, nameof(DataDirectory));
        ArgumentNullException.ThrowIfNull(DefaultTopicConfig, nameof(DefaultTopicConfig));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(FileSystem, nameof(FileSystem));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetentionCheckInterval, TimeSpan.Zero, nameof(RetentionCheckInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FlushCheckInterval, TimeSpan.Zero, nameof(FlushCheckInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RecoveryPointCheckpointInterval, TimeSpan.Zero, nameof(RecoveryPointCheckpointInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOpenSegmentFiles, 2, nameof(MaxOpenSegmentFiles));
        DefaultTopicConfig.Validate();
        KafkaListener?.Validate();
        if (Replication is not null)
        {
            Replication.Validate();
            if (KafkaListener is null)
                throw new ArgumentException("A replicated store needs a Kafka listener: the other nodes fetch through it.", nameof(KafkaListener));
            // Followers and the controller channel reach a node through its Kafka listener: plaintext there would
            // leave the fetched records and the controller commands unencrypted, and the peer certificates unchecked.
            if (Replication.PeerTls is not null && KafkaListener.Tls is null)
                throw new ArgumentException("Peer TLS needs TLS on the Kafka listener (KafkaListenerOptions.Tls): the other nodes fetch through it.", nameof(KafkaListener));
            // The nodes authenticate to each other's listeners by their peer certificates, never with SASL: with SASL
            // required there and no peer TLS, every follower fetch, forwarded write and controller command would be
            // refused and the cluster would never form.
            if (KafkaListener.Sasl is not null && Replication.PeerTls is null)
                throw new ArgumentException("SASL on the Kafka listener of a replicated store needs ReplicationOptions.PeerTls: the other nodes fetch "
                    + "through that listener and authenticate by their peer certificates, not with SASL.", nameof(KafkaListener));
        }
    }
}
