using LogStore.Clients.Groups;
using static LogStore.Tests.Clients.Groups.AssignorTestSupport;

namespace LogStore.Tests.Clients.Groups;

[TestFixture]
public sealed class RoundRobinAssignorTests
{
    private static readonly RoundRobinAssignor Assignor = RoundRobinAssignor.Instance;

    [Test]
    public void Assign_TwoTopicsOfThreeToTwoMembers_DealsInTurn()
    {
        // Kafka's documented example: C0 gets t0p0, t0p2, t1p1; C1 gets t0p1, t1p0, t1p2.
        MemberSubscription[] members = [Member("c1", "t0", "t1"), Member("c0", "t0", "t1")];
        var partitions = new Dictionary<string, int> { ["t1"] = 3, ["t0"] = 3 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment["c0"], Is.EqualTo(new[] { Tp("t0", 0), Tp("t0", 2), Tp("t1", 1) }));
        Assert.That(assignment["c1"], Is.EqualTo(new[] { Tp("t0", 1), Tp("t1", 0), Tp("t1", 2) }));
        AssertValid(assignment, members, partitions);
    }

    [Test]
    public void Assign_DifferentSubscriptions_SkipsMembersNotSubscribed()
    {
        // Kafka's documented example: C0 [t0], C1 [t0, t1], C2 [t0, t1, t2] with 1, 2 and 3 partitions.
        MemberSubscription[] members = [Member("c0", "t0"), Member("c1", "t0", "t1"), Member("c2", "t0", "t1", "t2")];
        var partitions = new Dictionary<string, int> { ["t0"] = 1, ["t1"] = 2, ["t2"] = 3 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment["c0"], Is.EqualTo(Tps("t0", 0)));
        Assert.That(assignment["c1"], Is.EqualTo(Tps("t1", 0)));
        Assert.That(assignment["c2"], Is.EqualTo(new[] { Tp("t1", 1), Tp("t2", 0), Tp("t2", 1), Tp("t2", 2) }));
        AssertValid(assignment, members, partitions);
    }

    [Test]
    public void Assign_IdenticalSubscriptions_CountsDifferByAtMostOne()
    {
        MemberSubscription[] members = [Member("a", "x", "y"), Member("b", "x", "y"), Member("c", "x", "y")];
        var partitions = new Dictionary<string, int> { ["x"] = 5, ["y"] = 3 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment.Values.Select(l => l.Count), Is.EquivalentTo(new[] { 3, 3, 2 }));
        AssertValid(assignment, members, partitions);
        Assert.That(Assignor.Protocol, Is.EqualTo(RebalanceProtocol.Eager));
    }
}
