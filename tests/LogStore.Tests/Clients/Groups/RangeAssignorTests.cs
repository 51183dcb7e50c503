using LogStore.Clients.Groups;
using static LogStore.Tests.Clients.Groups.AssignorTestSupport;

namespace LogStore.Tests.Clients.Groups;

[TestFixture]
public sealed class RangeAssignorTests
{
    private static readonly RangeAssignor Assignor = RangeAssignor.Instance;

    [Test]
    public void Assign_TwoTopicsOfThreeToTwoMembers_GivesKafkasRanges()
    {
        // Kafka's documented example: C0 gets t0p0, t0p1, t1p0, t1p1; C1 gets t0p2, t1p2.
        MemberSubscription[] members = [Member("c0", "t0", "t1"), Member("c1", "t0", "t1")];
        var partitions = new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment["c0"], Is.EqualTo(new[] { Tp("t0", 0), Tp("t0", 1), Tp("t1", 0), Tp("t1", 1) }));
        Assert.That(assignment["c1"], Is.EqualTo(new[] { Tp("t0", 2), Tp("t1", 2) }));
        AssertValid(assignment, members, partitions);
    }

    [Test]
    public void Assign_MembersGivenOutOfOrder_SortsThemById()
    {
        MemberSubscription[] members = [Member("b", "t"), Member("c", "t"), Member("a", "t")];
        var partitions = new Dictionary<string, int> { ["t"] = 7 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment["a"], Is.EqualTo(Tps("t", 0, 1, 2)));
        Assert.That(assignment["b"], Is.EqualTo(Tps("t", 3, 4)));
        Assert.That(assignment["c"], Is.EqualTo(Tps("t", 5, 6)));
    }

    [Test]
    public void Assign_MoreMembersThanPartitions_LeavesTheLastOnesEmpty()
    {
        MemberSubscription[] members = [Member("a", "t"), Member("b", "t"), Member("c", "t")];
        var partitions = new Dictionary<string, int> { ["t"] = 2 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment["a"], Is.EqualTo(Tps("t", 0)));
        Assert.That(assignment["b"], Is.EqualTo(Tps("t", 1)));
        Assert.That(assignment["c"], Is.Empty);
    }

    [Test]
    public void Assign_DifferentSubscriptions_OnlySubscribersShareATopic()
    {
        MemberSubscription[] members = [Member("a", "x"), Member("b", "x", "y"), Member("c", "y")];
        var partitions = new Dictionary<string, int> { ["x"] = 2, ["y"] = 4, ["unused"] = 5 };

        var assignment = Assignor.Assign(members, partitions);

        Assert.That(assignment["a"], Is.EqualTo(Tps("x", 0)));
        Assert.That(assignment["b"], Is.EqualTo(new[] { Tp("x", 1), Tp("y", 0), Tp("y", 1) }));
        Assert.That(assignment["c"], Is.EqualTo(Tps("y", 2, 3)));
        AssertValid(assignment, members, partitions);
    }

    [Test]
    public void Assign_UnknownTopicAndNoMembers_AssignNothing()
    {
        Assert.That(Assignor.Assign([Member("a", "missing")], new Dictionary<string, int>())["a"], Is.Empty);
        Assert.That(Assignor.Assign([], new Dictionary<string, int> { ["t"] = 3 }), Is.Empty);
        Assert.That(Assignor.Protocol, Is.EqualTo(RebalanceProtocol.Eager));
    }
}
