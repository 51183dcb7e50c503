using LogStore.Cluster.Controller;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Tests.Cluster;

/// <summary>
/// KIP-966's eligible leader replicas and unclean restarts, through the controller's decisions: with min ISR 2 of 3
/// replicas, a replica that left the ISR while it was below min ISR holds every committed record and leads before a
/// replica that came back from a crash or a power cut, whose log may have lost acknowledged records.
/// </summary>
public sealed class EligibleLeaderReplicasTests
{
    private static readonly TopicPartition Tp = new("t", 0);

    private ClusterImage _image = ClusterImage.Empty;

    private PartitionRegistration State => _image.GetPartition(Tp)!;

    // Nodes 0, 1, 2 (epoch 1 each); "t" with one partition on all three, led by 0, min ISR 2.
    [SetUp]
    public void CreateTopic()
    {
        _image = ClusterImage.Empty;
        for (int n = 0; n < 3; n++)
            Apply(ControllerDecisions.RegisterNode(_image, n, 1, "h", 9092 + n, cleanShutdown: true));
        Apply(ControllerDecisions.CreateTopic(_image, "t", 1, 3, false, [("min.insync.replicas", "2")], Guid.NewGuid()));
        Assume.That((State.Leader, State.Isr), Is.EqualTo((0, (IReadOnlyList<int>)[0, 1, 2])));
    }

    [Test]
    public void LeaderAndLastFollowerLost_TheLeaderComesBack_AndTheFollowerReturningUncleanDoesNotLead()
    {
        Apply(ControllerDecisions.AlterPartition(_image, Tp, 0, 0, State.PartitionEpoch, [0, 2]));   // 1 fell behind
        Assert.That(State.Elr, Is.Empty, "at min ISR nobody is an eligible leader replica");

        Fence(0);   // the leader pauses: 2 leads alone, below min ISR; 0 holds every committed record
        Assert.That((State.Leader, State.Isr, State.Elr), Is.EqualTo((2, (IReadOnlyList<int>)[2], (IReadOnlyList<int>)[0])));
        Fence(2);   // and 2 loses power
        Apply(ControllerDecisions.RegisterNode(_image, 2, 2, "h", 9094, cleanShutdown: false));

        Assert.That((State.Leader, State.Isr, State.Elr), Is.EqualTo((-1, (IReadOnlyList<int>)[0], (IReadOnlyList<int>)[])),
            "2's log may have lost what it acknowledged: 0 must lead, not 2");
        Apply(ControllerDecisions.Heartbeat(_image, 0, 1));
        Assert.That((State.Leader, State.Isr), Is.EqualTo((0, (IReadOnlyList<int>)[0])));
    }

    [Test]
    public void LastInSyncReplicaFenced_AnEligibleOneLeadsAlone_WhenItIsAlive()
    {
        Apply(ControllerDecisions.AlterPartition(_image, Tp, 0, 0, State.PartitionEpoch, [0, 2]));
        Fence(0);
        Apply(ControllerDecisions.Heartbeat(_image, 0, 1));   // 0 returns while 2 still leads: a follower again
        Assert.That(State.Leader, Is.EqualTo(2));

        Fence(2);

        Assert.That((State.Leader, State.Isr, State.Elr), Is.EqualTo((0, (IReadOnlyList<int>)[0], (IReadOnlyList<int>)[2])));
    }

    [Test]
    public void CleanRestart_OfTheLastInSyncReplica_LeadsAgain()
    {
        Apply(ControllerDecisions.AlterPartition(_image, Tp, 0, 0, State.PartitionEpoch, [0, 2]));
        Fence(0);
        Fence(2);

        Apply(ControllerDecisions.RegisterNode(_image, 2, 2, "h", 9094, cleanShutdown: true));

        Assert.That((State.Leader, State.Isr, State.Elr), Is.EqualTo((2, (IReadOnlyList<int>)[2], (IReadOnlyList<int>)[0])));
    }

    [Test]
    public void UncleanRestart_OfTheOnlyReplicaWithData_KeepsItInSync()
    {
        Apply(ControllerDecisions.AlterPartition(_image, Tp, 0, 0, State.PartitionEpoch, [0]));
        Assert.That(State.Elr, Is.EqualTo(new[] { 1, 2 }), "1 and 2 left below min ISR: both hold what was committed");
        Apply(ControllerDecisions.RegisterNode(_image, 1, 2, "h", 9093, cleanShutdown: false));
        Apply(ControllerDecisions.RegisterNode(_image, 2, 2, "h", 9094, cleanShutdown: false));
        Assert.That(State.Elr, Is.Empty, "neither came back clean");
        Fence(0);

        Apply(ControllerDecisions.RegisterNode(_image, 0, 2, "h", 9092, cleanShutdown: false));

        Assert.That((State.Leader, State.Isr), Is.EqualTo((0, (IReadOnlyList<int>)[0])), "nobody else is known to hold more");
    }

    [Test]
    public void UncleanRestart_OfALeader_WithinItsSession_IsFencedFirst_SoItsLeadershipMoves()
    {
        int epoch = State.LeaderEpoch;

        Apply(ControllerDecisions.RegisterNode(_image, 0, 2, "h", 9092, cleanShutdown: false));

        Assert.That((State.Leader, State.LeaderEpoch, State.Isr), Is.EqualTo((1, epoch + 1, (IReadOnlyList<int>)[1, 2])),
            "a restarted leader's log may be shorter than what it acknowledged: it must not lead on at the same epoch");
        Assert.That(_image.IsUnfenced(0), Is.True);
    }

    [Test]
    public void ALiveNode_RegisteringAgain_KeepsItsLeadership()
    {
        Apply(ControllerDecisions.RegisterNode(_image, 0, 2, "h", 9092, cleanShutdown: true));

        Assert.That((State.Leader, State.LeaderEpoch, State.Isr), Is.EqualTo((0, 0, (IReadOnlyList<int>)[0, 1, 2])));
    }

    [Test]
    public void IsrBackAtMinIsr_ClearsTheEligibleLeaderReplicas()
    {
        Apply(ControllerDecisions.AlterPartition(_image, Tp, 0, 0, State.PartitionEpoch, [0]));
        Assert.That(State.Elr, Is.EqualTo(new[] { 1, 2 }));

        Apply(ControllerDecisions.AlterPartition(_image, Tp, 0, 0, State.PartitionEpoch, [0, 1]));

        Assert.That((State.Isr, State.Elr), Is.EqualTo(((IReadOnlyList<int>)[0, 1], (IReadOnlyList<int>)[])));
    }

    private void Fence(int node) => Apply(ControllerDecisions.Fence(_image, [_image.Nodes[node]]));

    private void Apply(List<MetadataRecord> records)
    {
        foreach (MetadataRecord record in records)
            _image = _image.Apply(record);
    }
}
