using System.Text;
using LogStore.Network.Client;
using LogStore.Network.Transport;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Cluster.Simulation;

/// <summary>
/// One seeded history of the replication simulation: three nodes, one partition with three replicas and a min ISR of
/// two, acks=all producers, and between their requests the faults the seed picks — a node killed or losing power (and
/// fenced some steps later, as its session would expire), cut off the network and the controller, paused as SIGSTOP
/// pauses a process (its connections hold their bytes; it reaches nobody; resumed, it delivers what queued — a
/// deposed leader's zombie requests), one connection reset, a node's traffic delayed, restarted, time moving on. As the
/// guarantees promise, one crash or power loss at a time (the next waits until that node is back in the ISR) unless
/// every log end counts only once fsynced, when they may follow each other freely. Then
/// everything heals, the replicas converge, and <see cref="Check"/> judges what was acknowledged and read against the
/// final logs. Everything random comes from the seed, printed with every failure.
/// </summary>
internal sealed class ReplicationHistory(int seed, bool flushBeforeAcknowledge, int steps)
{
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(30);

    private readonly Random _random = new(seed);
    private readonly List<string> _log = [];
    private readonly List<(long BaseOffset, int FirstId, int Count)> _acknowledged = [];
    private readonly Dictionary<long, string> _read = [];
    private readonly Dictionary<int, KafkaClientConnection> _connections = [];
    private readonly int?[] _fenceAtStep = new int?[SimulatedCluster.Size];
    private readonly bool[] _paused = new bool[SimulatedCluster.Size];
    private readonly bool[] _delayed = new bool[SimulatedCluster.Size];
    // Sent to a paused leader: answered, if ever, once it resumes — possibly after it was deposed.
    private readonly List<(Task<ProduceResponse.PartitionResponse> Produce, int FirstId, int Count, int Leader)> _inFlight = [];
    private int _nextId;
    private string? _lastPartition;
    // The node whose crash or power loss is not yet repaired: the promise is one such failure at a time (pauses,
    // cut-offs, resets and delays lose nothing, so any number may overlap it).
    private int? _unclean;

    public int Acknowledged => _acknowledged.Sum(a => a.Count);

    public int Faults { get; private set; }

    public string Describe() => $"seed {seed} (flush {flushBeforeAcknowledge}), steps:\n  " + string.Join("\n  ", _log);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var cluster = new SimulatedCluster(flushBeforeAcknowledge, seed);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, SimulatedCluster.Size).Select(i => cluster.StartAsync(i, cancellationToken)));
            await DriveUntilAsync(cluster, () => cluster.Controller.Image.Nodes.Count == SimulatedCluster.Size, "every node registered", cancellationToken);
            await cluster[0].CreateTopicAsync(SimulatedCluster.Topic, new TopicConfig
            {
                Partitions = 1,
                ReplicationFactor = 3,
                MinInSyncReplicas = 2,
                SegmentBytes = 16 << 10,
            }, cancellationToken);
            for (int step = 0; step < steps; step++)
                await StepAsync(cluster, step, cancellationToken);
            await HealAsync(cluster, cancellationToken);
            await Check(cluster);
        }
        finally
        {
            foreach (KafkaClientConnection connection in _connections.Values)
                await connection.DisposeAsync();
        }
    }

    private async Task StepAsync(SimulatedCluster cluster, int step, CancellationToken cancellationToken)
    {
        Harvest(step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (int node = 0; node < SimulatedCluster.Size; node++)
        {
            if (_fenceAtStep[node] == step)
            {
                cluster.Controller.Fence(node);
                _log.Add($"{step}: node {node}'s session expires: fenced");
            }
        }
        int roll = _random.Next(100);
        int down = SimulatedCluster.Size - cluster.RunningNodes.Count();
        if (roll < 55 || Faults > steps / 3)
        {
            await ProduceAsync(cluster, step, cancellationToken);
        }
        else if (roll < 64 && down == 0 && (flushBeforeAcknowledge || !UncleanFailureInProgress(cluster)))
        {
            int node = _random.Next(SimulatedCluster.Size);
            _unclean = node;
            var failure = _random.Next(3) == 0 ? NodeFailure.PowerLoss : NodeFailure.Kill;
            await cluster.FailAsync(node, failure, _random);
            if (_paused[node])
                Resume(cluster, node);   // a paused process killed is a dead one: nothing of it is left to resume
            _fenceAtStep[node] = step + 1 + _random.Next(3);
            Forget(node);
            Faults++;
            _log.Add($"{step}: node {node} {failure}");
        }
        else if (roll < 70)
        {
            int node = _random.Next(SimulatedCluster.Size);
            if (cluster.IsRunning(node) && !cluster.Controller.IsCutOff(node) && down == 0)
            {
                cluster.Controller.SetCutOff(node, true);
                cluster.Network.Isolate(cluster.Nodes[node].Endpoint);
                _fenceAtStep[node] = step + 1 + _random.Next(3);
                Forget(node);
                Faults++;
                _log.Add($"{step}: node {node} cut off");
            }
        }
        else if (roll < 75)
        {
            int node = _random.Next(SimulatedCluster.Size);
            if (cluster.IsRunning(node) && !cluster.Controller.IsCutOff(node) && down == 0)
            {
                // Paused, a process neither heart-beats nor hears the controller; its session expires as a dead one's.
                cluster.Network.Pause(cluster.HostOf(node));
                cluster.Controller.SetCutOff(node, true);
                _paused[node] = true;
                _fenceAtStep[node] = step + 1 + _random.Next(3);
                Faults++;
                _log.Add($"{step}: node {node} paused");
            }
        }
        else if (roll < 79)
        {
            InMemoryLink? severed = cluster.Network.Sever(_random);
            if (severed is not null)
            {
                Faults++;
                _log.Add($"{step}: connection {severed} reset");
            }
        }
        else if (roll < 82)
        {
            int node = _random.Next(SimulatedCluster.Size);
            if (!_delayed[node])
            {
                var max = TimeSpan.FromMilliseconds(1 + _random.Next(400));
                cluster.Network.Delay(cluster.HostOf(node), TimeSpan.Zero, max);
                _delayed[node] = true;
                Faults++;
                _log.Add($"{step}: node {node}'s traffic delayed up to {max.TotalMilliseconds} ms");
            }
        }
        else if (roll < 94)
        {
            await RecoverOneAsync(cluster, step, cancellationToken);
        }
        else
        {
            var by = TimeSpan.FromMilliseconds(_random.Next(12_000));
            cluster.Time.Advance(by);
            _log.Add($"{step}: time +{by.TotalMilliseconds} ms");
        }
        if (_random.Next(4) == 0)
            await ConsumeAsync(cluster, step, cancellationToken);
        string partition = $"{cluster.Controller.Image.GetPartition(new TopicPartition(SimulatedCluster.Topic, 0))}";
        if (partition != _lastPartition)
            _log.Add($"{step}: controller: {_lastPartition = partition}");
    }

    private async Task RecoverOneAsync(SimulatedCluster cluster, int step, CancellationToken cancellationToken)
    {
        for (int node = 0; node < SimulatedCluster.Size; node++)
        {
            if (!cluster.IsRunning(node))
            {
                await cluster.StartAsync(node, cancellationToken);
                _fenceAtStep[node] = null;
                _log.Add($"{step}: node {node} restarted");
                return;
            }
            if (_paused[node])
            {
                Resume(cluster, node);
                _fenceAtStep[node] = null;
                _log.Add($"{step}: node {node} resumed");
                return;
            }
            if (cluster.Controller.IsCutOff(node))
            {
                cluster.Network.Heal(cluster.Nodes[node].Endpoint);
                cluster.Controller.SetCutOff(node, false);
                _fenceAtStep[node] = null;
                _log.Add($"{step}: node {node} reconnected");
                return;
            }
            if (_delayed[node])
            {
                ClearDelay(cluster, node);
                _log.Add($"{step}: node {node}'s traffic on time again");
                return;
            }
        }
    }

    /// <summary>Takes the answers to requests sent to a paused node that came since: an acknowledgment counts like
    /// any other (the leader that gave it must not lose the records), a failure or refusal leaves the outcome open.</summary>
    private void Harvest(string step)
    {
        for (int i = _inFlight.Count - 1; i >= 0; i--)
        {
            var (produce, firstId, count, leader) = _inFlight[i];
            if (!produce.IsCompleted)
                continue;
            _inFlight.RemoveAt(i);
            if (produce.IsCompletedSuccessfully && produce.Result.ErrorCode == ErrorCode.None)
            {
                _acknowledged.Add((produce.Result.BaseOffset, firstId, count));
                _log.Add($"{step}: ids {firstId}..{firstId + count - 1} acknowledged late at {produce.Result.BaseOffset} by node {leader}");
            }
            else
            {
                string outcome = produce.IsCompletedSuccessfully ? produce.Result.ErrorCode.ToString() : produce.Exception?.InnerException?.Message ?? "cancelled";
                _log.Add($"{step}: ids {firstId}.. sent to node {leader} while paused: {outcome}");
            }
        }
    }

    /// <summary>True until the node that last crashed or lost power runs again and is back in the ISR.</summary>
    private bool UncleanFailureInProgress(SimulatedCluster cluster)
    {
        if (_unclean is { } node && cluster.IsRunning(node)
            && cluster.Controller.Image.GetPartition(new TopicPartition(SimulatedCluster.Topic, 0)) is { } state && state.IsInSync(node))
        {
            _unclean = null;
        }
        return _unclean is not null;
    }

    private void ClearDelay(SimulatedCluster cluster, int node)
    {
        cluster.Network.Delay(cluster.HostOf(node), TimeSpan.Zero, TimeSpan.Zero);
        _delayed[node] = false;
    }

    private void Resume(SimulatedCluster cluster, int node)
    {
        cluster.Network.Resume(cluster.HostOf(node));
        cluster.Controller.SetCutOff(node, false);
        _paused[node] = false;
    }

    private async Task ProduceAsync(SimulatedCluster cluster, int step, CancellationToken cancellationToken)
    {
        int leader = cluster.Controller.Image.GetPartition(new TopicPartition(SimulatedCluster.Topic, 0))?.Leader ?? -1;
        if (leader < 0 || !cluster.IsRunning(leader))
            return;
        int count = 1 + _random.Next(20);
        int firstId = _nextId;
        _nextId += count;
        // Stamped by the simulation's clock, as a producer stamps them: retention measures age on that clock.
        byte[] batch = Batches.Make(firstId, count, cluster.Time.GetUtcNow().ToUnixTimeMilliseconds(), _random.Next(200));
        if (_paused[leader])
        {
            // A client on a connection opened before the pause: its request queues, its answer waits for the resume.
            if (_connections.TryGetValue(leader, out KafkaClientConnection? open) && open.IsUsable)
            {
                _inFlight.Add((SimulatedCluster.ProduceAsync(open, batch, cancellationToken), firstId, count, leader));
                _log.Add($"{step}: ids {firstId}..{firstId + count - 1} sent to paused node {leader}");
            }
            return;
        }
        try
        {
            KafkaClientConnection connection = await ConnectionToAsync(cluster, leader, cancellationToken);
            Task<ProduceResponse.PartitionResponse> produce = SimulatedCluster.ProduceAsync(connection, batch, cancellationToken);
            ProduceResponse.PartitionResponse response = await DriveAsync(cluster, produce, cancellationToken);
            if (response.ErrorCode == ErrorCode.None)
            {
                _acknowledged.Add((response.BaseOffset, firstId, count));
                _log.Add($"{step}: ids {firstId}..{firstId + count - 1} acknowledged at {response.BaseOffset} by node {leader}");
            }
            else
            {
                _log.Add($"{step}: ids {firstId}.. refused by node {leader}: {response.ErrorCode}");
            }
        }
        catch (NetworkException e)
        {
            Forget(leader);
            _log.Add($"{step}: ids {firstId}.. to node {leader}: outcome unknown ({e.Message})");
        }
    }

    /// <summary>A consumer of the leader's committed records: what it reads must never be lost afterwards.</summary>
    private async Task ConsumeAsync(SimulatedCluster cluster, int step, CancellationToken cancellationToken)
    {
        int leader = cluster.Controller.Image.GetPartition(new TopicPartition(SimulatedCluster.Topic, 0))?.Leader ?? -1;
        if (leader < 0 || !cluster.IsRunning(leader) || !cluster[leader].TryGetTopic(SimulatedCluster.Topic, out Topic? topic))
            return;
        Partition partition = topic.Partitions[0];
        if (partition.IsOffline)
            return;
        var read = await ReadCommittedAsync(partition, cancellationToken);
        foreach ((long offset, string key, _, _) in read)
            _read[offset] = key;
        if (read.Count > 0)
            _log.Add($"{step}: a consumer read offsets {read[0].Offset}..{read[^1].Offset} from node {leader} ({partition.Replica})");
    }

    private async Task HealAsync(SimulatedCluster cluster, CancellationToken cancellationToken)
    {
        for (int node = 0; node < SimulatedCluster.Size; node++)
        {
            if (!cluster.IsRunning(node))
                await cluster.StartAsync(node, cancellationToken);
            if (_paused[node])
                Resume(cluster, node);
            if (_delayed[node])
                ClearDelay(cluster, node);
            if (cluster.Controller.IsCutOff(node))
            {
                cluster.Network.Heal(cluster.Nodes[node].Endpoint);
                cluster.Controller.SetCutOff(node, false);
            }
        }
        _log.Add("end: every node up and connected");
        foreach (var sent in _inFlight)
            await DriveAsync(cluster, sent.Produce.ContinueWith(_ => 0, TaskScheduler.Default), cancellationToken);
        Harvest("end");
        var tp = new TopicPartition(SimulatedCluster.Topic, 0);
        await DriveUntilAsync(cluster, () =>
        {
            var state = cluster.Controller.Image.GetPartition(tp);
            if (state is null || state.Leader < 0 || state.Isr.Count != SimulatedCluster.Size)
                return false;
            long end = Replica(cluster, state.Leader).LogEndOffset;
            return cluster.RunningNodes.All(n => Replica(cluster, n) is { } r && r.LogEndOffset == end && r.HighWatermark == end);
        }, "the replicas converge with every node in sync", cancellationToken);
    }

    private async Task Check(SimulatedCluster cluster)
    {
        var tp = new TopicPartition(SimulatedCluster.Topic, 0);
        int leader = cluster.Controller.Image.GetPartition(tp)!.Leader;
        var final = await ReadCommittedAsync(Partition(cluster, leader), CancellationToken.None);
        var keyAt = final.ToDictionary(r => r.Offset, r => r.Key);
        var ids = new HashSet<string>();
        foreach (var record in final)
            Assert.That(ids.Add(record.Key), Is.True, $"{record.Key} is in the log twice (at {record.Offset}); {Describe()}");
        foreach ((long baseOffset, int firstId, int count) in _acknowledged)
        {
            for (int i = 0; i < count; i++)
            {
                Assert.That(keyAt.GetValueOrDefault(baseOffset + i), Is.EqualTo($"k{firstId + i}"),
                    $"acknowledged k{firstId + i} is not at offset {baseOffset + i}; {Describe()}");
            }
        }
        foreach ((long offset, string key) in _read)
            Assert.That(keyAt.GetValueOrDefault(offset), Is.EqualTo(key), $"a consumer read {key} at {offset}, later lost; {Describe()}");
        byte[] leaderBytes = await CommittedBytesAsync(Partition(cluster, leader));
        foreach (int node in cluster.RunningNodes)
        {
            Assert.That(await CommittedBytesAsync(Partition(cluster, node)), Is.EqualTo(leaderBytes),
                $"node {node}'s replica differs from the leader's (node {leader}) below the high watermark; {Describe()}");
        }
    }

    private static Partition Partition(SimulatedCluster cluster, int node)
    {
        Assert.That(cluster[node].TryGetTopic(SimulatedCluster.Topic, out Topic? topic), Is.True);
        return topic!.Partitions[0];
    }

    private static global::LogStore.Storage.Replication.PartitionReplica Replica(SimulatedCluster cluster, int node) => Partition(cluster, node).Replica;

    private static async Task<List<(long Offset, string Key, string Value, long Timestamp)>> ReadCommittedAsync(Partition partition, CancellationToken cancellationToken)
    {
        var records = new List<(long, string, string, long)>();
        long next = partition.LogStartOffset;
        long end = partition.HighWatermark;
        while (next < end)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 64 * 1024, cancellationToken: cancellationToken);
            if (fetch.IsEmpty)
                break;
            foreach (RecordBatch batch in fetch)
            {
                foreach (Record record in batch)
                {
                    if (record.Offset >= next)
                        records.Add((record.Offset, Encoding.UTF8.GetString(record.Key), Encoding.UTF8.GetString(record.Value), record.Timestamp));
                }
                next = batch.NextOffset;
            }
        }
        return records;
    }

    private static async Task<byte[]> CommittedBytesAsync(Partition partition)
    {
        using var bytes = new MemoryStream();
        long next = partition.LogStartOffset;
        while (next < partition.HighWatermark)
        {
            using FetchResult fetch = await partition.ReadAsync(next, 64 * 1024);
            if (fetch.IsEmpty)
                break;
            foreach (RecordBatch batch in fetch)
            {
                bytes.Write(batch.Memory.Span);
                next = batch.NextOffset;
            }
        }
        return bytes.ToArray();
    }

    private async Task<KafkaClientConnection> ConnectionToAsync(SimulatedCluster cluster, int node, CancellationToken cancellationToken)
    {
        if (_connections.TryGetValue(node, out KafkaClientConnection? connection) && connection.IsUsable)
            return connection;
        if (connection is not null)
            await connection.DisposeAsync();
        return _connections[node] = await cluster.ConnectAsync(node, cancellationToken);
    }

    private void Forget(int node)
    {
        if (_connections.Remove(node, out KafkaClientConnection? connection))
            _ = connection.DisposeAsync().AsTask();
    }

    /// <summary>Moves the fake clock on until <paramref name="task"/> completes (a request waiting for the
    /// ISR to shrink, a timeout), bounded in real time.</summary>
    private static async Task<T> DriveAsync<T>(SimulatedCluster cluster, Task<T> task, CancellationToken cancellationToken)
    {
        await cluster.TickUntilAsync(() => task.IsCompleted, ConvergeTimeout, cancellationToken, task);
        return await task;
    }

    private async Task DriveUntilAsync(SimulatedCluster cluster, Func<bool> done, string what, CancellationToken cancellationToken)
    {
        // Each tick moves the clock at least a step: little simulated time means a starved run, much means a stuck one.
        DateTimeOffset from = cluster.Time.GetUtcNow();
        if (!await cluster.TickUntilAsync(done, ConvergeTimeout, cancellationToken))
        {
            Assert.Fail($"not reached within {ConvergeTimeout.TotalSeconds} s (the clock moved {(cluster.Time.GetUtcNow() - from).TotalSeconds:F1} s " +
                $"from {from:HH:mm:ss.fff}): {what}; {Describe()}\n{cluster.DescribeState()}\nlog:\n{cluster.Log.Tail()}");
        }
    }
}
