using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace LogStore.Cluster.Controller;

/// <summary>
/// The settings of one node's Raft controller. Validated by <see cref="QuorumController.StartAsync"/> with
/// ArgumentOutOfRangeException / ArgumentException.
/// </summary>
internal sealed class ControllerOptions
{
    /// <summary>Where the write-ahead log (<c>wal/</c>) and the snapshots (<c>snapshots/</c>) live. Required.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The address this controller listens on, as its peers list it. Required.</summary>
    public required EndPoint EndPoint { get; init; }

    /// <summary>Every controller's address, this one's included (Kafka's controller.quorum.voters). Required.</summary>
    public required IReadOnlyList<EndPoint> Voters { get; init; }

    /// <summary>The node id of each voter (by its endpoint in <see cref="Voters"/>), in combined mode where each voter is
    /// also a node: a new controller then counts the session of the node whose controller it took over from from that
    /// node's last Raft contact. Default none.</summary>
    public IReadOnlyDictionary<EndPoint, int> VoterNodeIds { get; init; } = new Dictionary<EndPoint, int>();

    /// <summary>Accepts the peers' connections (TCP, TLS or in-memory). Required.</summary>
    public required IConnectionListenerFactory ListenerFactory { get; init; }

    /// <summary>Makes connections to the peers. Required.</summary>
    public required IConnectionFactory ConnectionFactory { get; init; }

    /// <summary>How long a node may go without a heartbeat before it is fenced (Kafka's broker.session.timeout.ms).
    /// Default 9 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(9);

    /// <summary>Raft's election timeout range in milliseconds (Kafka's controller.quorum.election.timeout.ms is 1 s);
    /// a follower that hears no leader within a random time in it starts an election. Default 150–300 ms.</summary>
    public int LowerElectionTimeout { get; init; } = 150;

    /// <summary>See <see cref="LowerElectionTimeout"/>. Default 300 ms.</summary>
    public int UpperElectionTimeout { get; init; } = 300;

    /// <summary>Entries between snapshots of the image; the write-ahead log drops what a snapshot covers.
    /// Default 1,024.</summary>
    public long SnapshotInterval { get; init; } = 1024;

    /// <summary>The clock of heartbeats and session expiry (Raft's own timers use DotNext's clock). Default the system's.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logs Raft's and the controller's events. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(DataDirectory);
        ArgumentNullException.ThrowIfNull(EndPoint);
        if (Voters is null || !Voters.Contains(EndPoint))
            throw new ArgumentException("The voters must include this controller's own endpoint.", nameof(Voters));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SessionTimeout, TimeSpan.Zero, nameof(SessionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(LowerElectionTimeout, 10, nameof(LowerElectionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UpperElectionTimeout, LowerElectionTimeout, nameof(UpperElectionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotInterval, 1, nameof(SnapshotInterval));
    }
}
