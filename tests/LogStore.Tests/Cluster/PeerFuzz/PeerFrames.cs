using System.Buffers;
using LogStore.Cluster.Metadata;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster.PeerFuzz;

/// <summary>
/// Valid frames of the inter-node APIs, built as a node of this cluster builds them (the image's topic id, partition
/// and leader epochs, node epochs) but from an identity that cannot change anything: a replica or broker id that is no
/// member of the cluster, or a member's id with an epoch it does not hold. Fields are drawn from values a hostile peer
/// likes (negative, zero, huge, off by one), so that the frame reaches the checks behind the decoder before
/// <see cref="PeerMutations"/> breaks the bytes. Each frame is whole: 4-byte size, request header, body.
/// </summary>
internal sealed class PeerFrames(ClusterImage image, string topic, IReadOnlyDictionary<TopicPartition, long> logEnds)
{
    /// <summary>Ids no node of the cluster has: a node that was never configured, and values at the edges.</summary>
    public static readonly int[] Outsiders = [3, 7, 1000, int.MaxValue, int.MinValue, -2, -3];

    private readonly TopicRegistration _topic = image.Topics[topic];
    private int _correlationId;

    public byte[] Next(Random random) => random.Next(6) switch
    {
        0 => Fetch(random),
        1 => OffsetForLeaderEpoch(random),
        2 => Registration(random),
        3 => Heartbeat(random),
        4 => AlterPartition(random),
        _ => Produce(random),
    };

    private byte[] Fetch(Random random)
    {
        short version = (short)random.Next(12, 17);
        int replicaId = Pick(random, Outsiders);
        var request = new FetchRequest
        {
            ReplicaId = version < 15 ? replicaId : -1,
            ReplicaState = version >= 15 ? new FetchRequest.ReplicaStateData { ReplicaId = replicaId, ReplicaEpoch = Epoch(random) } : null,
            MaxWaitMs = 0,
            MinBytes = random.Next(2),
            MaxBytes = Pick(random, [0, 1, 1 << 20, int.MaxValue, -1]),
            SessionId = random.Next(4) == 0 ? random.Next() : 0,
            SessionEpoch = Pick(random, [-1, 0, 1, int.MaxValue]),
        };
        var fetched = new FetchRequest.Topic { Name = version < 13 ? _topic.Name : "", TopicId = version >= 13 ? TopicId(random) : Guid.Empty };
        foreach (int p in Partitions(random))
        {
            PartitionRegistration state = _topic.Partitions[Math.Clamp(p, 0, _topic.Partitions.Length - 1)];
            fetched.Partitions.Add(new FetchRequest.Partition
            {
                PartitionIndex = p,
                CurrentLeaderEpoch = Near(random, state.LeaderEpoch),
                FetchOffset = Offset(random, p),
                LastFetchedEpoch = Near(random, state.LeaderEpoch),
                LogStartOffset = Pick(random, [-1L, 0, long.MaxValue]),
                PartitionMaxBytes = Pick(random, [0, 1, 1 << 20, int.MaxValue, -1]),
            });
        }
        request.Topics.Add(fetched);
        return Frame(request, version, random);
    }

    private byte[] OffsetForLeaderEpoch(Random random)
    {
        short version = (short)random.Next(2, 5);
        // A read: a member's id too, since asking changes nothing.
        var request = new OffsetForLeaderEpochRequest { ReplicaId = random.Next(3) == 0 ? random.Next(3) : Pick(random, Outsiders) };
        var asked = new OffsetForLeaderEpochRequest.Topic { Name = random.Next(8) == 0 ? "no-such-topic" : _topic.Name };
        foreach (int p in Partitions(random))
        {
            int epoch = _topic.Partitions[Math.Clamp(p, 0, _topic.Partitions.Length - 1)].LeaderEpoch;
            asked.Partitions.Add(new OffsetForLeaderEpochRequest.Partition
            {
                PartitionIndex = p, CurrentLeaderEpoch = Near(random, epoch), LeaderEpoch = Near(random, epoch),
            });
        }
        request.Topics.Add(asked);
        return Frame(request, version, random);
    }

    private byte[] Registration(Random random)
    {
        short version = (short)random.Next(0, 5);
        var request = new BrokerRegistrationRequest
        {
            BrokerId = Pick(random, Outsiders),
            ClusterId = random.Next(2) == 0 ? "" : "other-cluster",
            IncarnationId = RandomGuid(random),
            NodeEpoch = Epoch(random),
            PreviousBrokerEpoch = Epoch(random),
            Rack = random.Next(2) == 0 ? null : "rack",
        };
        for (int i = random.Next(3); i > 0; i--)
            request.Listeners.Add(new BrokerRegistrationRequest.Listener { Name = "PLAINTEXT", Host = random.Next(4) == 0 ? "" : "evil", Port = (ushort)random.Next(65536) });
        return Frame(request, version, random);
    }

    private byte[] Heartbeat(Random random)
    {
        short version = (short)random.Next(0, 2);
        var request = new BrokerHeartbeatRequest
        {
            CurrentMetadataOffset = Pick(random, [-1L, 0, image.Offset, long.MaxValue]),
            WantFence = random.Next(2) == 0,
            WantShutDown = random.Next(2) == 0,
        };
        if (random.Next(2) == 0)
        {
            request.BrokerId = Pick(random, Outsiders);
            request.BrokerEpoch = Epoch(random);
        }
        else
        {
            // A member's id with an epoch it does not hold: what an older incarnation, or a guess, would send.
            NodeRegistration member = image.Nodes.Values.ElementAt(random.Next(image.Nodes.Count));
            request.BrokerId = member.NodeId;
            request.BrokerEpoch = member.NodeEpoch + Pick(random, [-1L, 1, long.MinValue / 2, -member.NodeEpoch - 1]);
        }
        return Frame(request, version, random);
    }

    private byte[] AlterPartition(Random random)
    {
        short version = (short)random.Next(0, 4);
        var request = new AlterPartitionRequest();
        var altered = new AlterPartitionRequest.TopicData { TopicName = version <= 1 ? _topic.Name : "", TopicId = version >= 2 ? TopicId(random) : Guid.Empty };
        bool outsider = random.Next(2) == 0;
        int p0 = random.Next(_topic.Partitions.Length);
        PartitionRegistration target = _topic.Partitions[p0];
        request.BrokerId = outsider ? Pick(random, Outsiders) : target.Leader;
        request.BrokerEpoch = random.Next(2) == 0 ? -1 : image.Nodes.TryGetValue(request.BrokerId, out NodeRegistration? node) ? node.NodeEpoch : Epoch(random);
        foreach (int p in Partitions(random))
        {
            PartitionRegistration state = _topic.Partitions[Math.Clamp(p, 0, _topic.Partitions.Length - 1)];
            int leaderEpoch = state.LeaderEpoch;
            int partitionEpoch = state.PartitionEpoch;
            // The leader's own id must carry an epoch it does not hold, or the change would be the leader's and valid.
            if (!outsider)
            {
                if (random.Next(2) == 0)
                    leaderEpoch = Near(random, leaderEpoch, excludeSame: true);
                else
                    partitionEpoch = Near(random, partitionEpoch, excludeSame: true);
            }
            List<int> isr = random.Next(3) switch
            {
                0 => [state.Leader],
                1 => [.. state.Isr, Pick(random, Outsiders)],
                _ => [request.BrokerId],
            };
            altered.Partitions.Add(new AlterPartitionRequest.PartitionData
            {
                PartitionIndex = p, LeaderEpoch = leaderEpoch, PartitionEpoch = partitionEpoch, NewIsr = isr,
                NewIsrWithEpochs = isr.ConvertAll(id => new AlterPartitionRequest.BrokerState { BrokerId = id, BrokerEpoch = Epoch(random) }),
            });
        }
        request.Topics.Add(altered);
        return Frame(request, version, random);
    }

    /// <summary>A produce whose batch's CRC is wrong, or is right until a mutation breaks it (the classifier drops
    /// the frames whose batch is still intact).</summary>
    private byte[] Produce(Random random)
    {
        short version = (short)random.Next(3, 11);
        byte[] batch = Batches.Make(random.Next(1000), 1 + random.Next(3), valueSize: random.Next(64));
        if (random.Next(2) == 0)
            batch[RecordBatch.CrcOffset + random.Next(4)] ^= (byte)(1 + random.Next(255));
        var request = new ProduceRequest { Acks = Pick<short>(random, [-1, 1, 0, 2, -2]), TimeoutMs = random.Next(2) == 0 ? 1000 : 0 };
        var data = new ProduceRequest.TopicData { Name = _topic.Name };
        data.Partitions.Add(new ProduceRequest.PartitionData { Index = random.Next(_topic.Partitions.Length), Records = new ReadOnlySequence<byte>(batch) });
        request.Topics.Add(data);
        return Frame(request, version, random);
    }

    private Guid TopicId(Random random) => random.Next(8) == 0 ? RandomGuid(random) : _topic.TopicId;

    private static Guid RandomGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private IEnumerable<int> Partitions(Random random) => random.Next(6) switch
    {
        0 => [-1],
        1 => [_topic.Partitions.Length],
        2 => Enumerable.Range(0, _topic.Partitions.Length),
        _ => [random.Next(_topic.Partitions.Length)],
    };

    private long Offset(Random random, int partition)
    {
        long end = logEnds.TryGetValue(new TopicPartition(_topic.Name, partition), out long e) ? e : 0;
        return Pick(random, [0, end, end - 1, end + 1, -1, long.MaxValue, long.MinValue]);
    }

    private static int Near(Random random, int value, bool excludeSame = false)
    {
        int[] choices = excludeSame ? [value - 1, value + 1, -1, int.MaxValue] : [value, value - 1, value + 1, -1, int.MaxValue];
        return Pick(random, choices);
    }

    private static long Epoch(Random random) => Pick(random, [-1L, 0, 1, long.MaxValue, random.NextInt64()]);

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private byte[] Frame<T>(T request, short version, Random random)
        where T : IKafkaMessage<T>
    {
        var header = new RequestHeader
        {
            ApiKey = T.ApiKey, ApiVersion = version, CorrelationId = ++_correlationId, ClientId = random.Next(4) == 0 ? null : "peer-fuzz",
        };
        return Network.KafkaWireClient.Frame(header, request);
    }
}
