using CsCheck;
using LogStore.Clients.Groups;
using static LogStore.Tests.Clients.Groups.AssignorTestSupport;

namespace LogStore.Tests.Clients.Groups;

[TestFixture]
public sealed class CooperativeStickyAssignorTests
{
    private static readonly CooperativeStickyAssignor Assignor = CooperativeStickyAssignor.Instance;
    private static readonly string[] T = ["t"];

    [Test]
    public void Assign_NewMemberJoins_MovesOnlyWhatBalancingNeeds()
    {
        MemberSubscription[] members =
        [
            Owning("a", T, [.. Tps("t", 0, 1, 2)]),
            Owning("b", T, [.. Tps("t", 3, 4, 5)]),
            Member("c", "t"),
        ];
        var partitions = new Dictionary<string, int> { ["t"] = 6 };

        var assignment = Assignor.Assign(members, partitions);

        AssertValid(assignment, members, partitions);
        Assert.That(assignment.Values.Select(l => l.Count), Is.All.EqualTo(2));
        Assert.That(assignment["a"], Is.SubsetOf(Tps("t", 0, 1, 2)), "a keeps two of its own");
        Assert.That(assignment["b"], Is.SubsetOf(Tps("t", 3, 4, 5)), "b keeps two of its own");
    }

    [Test]
    public void Assign_MemberLeaves_ItsPartitionsGoToTheOthersWhoKeepTheirs()
    {
        MemberSubscription[] members = [Owning("a", T, [.. Tps("t", 0, 1)]), Owning("c", T, [.. Tps("t", 4, 5)])];
        var partitions = new Dictionary<string, int> { ["t"] = 6 };

        var assignment = Assignor.Assign(members, partitions);

        AssertValid(assignment, members, partitions);
        Assert.That(assignment["a"], Is.SupersetOf(Tps("t", 0, 1)));
        Assert.That(assignment["c"], Is.SupersetOf(Tps("t", 4, 5)));
        Assert.That(assignment.Values.Select(l => l.Count), Is.All.EqualTo(3));
    }

    [Test]
    public void Assign_OwnedPartitionsOfUnsubscribedOrMissingTopics_AreDropped()
    {
        MemberSubscription[] members =
        [
            Owning("a", T, Tp("t", 0), Tp("gone", 0), Tp("t", 9)),
            Owning("b", T, Tp("t", 0)), // claimed by a first: a duplicate claim goes to the first member by id
        ];
        var partitions = new Dictionary<string, int> { ["t"] = 2 };

        var assignment = Assignor.Assign(members, partitions);

        AssertValid(assignment, members, partitions);
        Assert.That(assignment["a"], Is.EqualTo(Tps("t", 0)));
        Assert.That(assignment["b"], Is.EqualTo(Tps("t", 1)));
    }

    [Test]
    public void Assign_AnyOwnershipAndSubscriptions_IsValidAndBalancedForIdenticalSubscriptions()
    {
        // Members 1–5 subscribed to a random subset of 3 topics of 0–7 partitions, each owning random partitions.
        var gen = Gen.Select(Gen.Int[1, 5], Gen.Int[0, 7].Array[3], Gen.Bool, Gen.Int[0, 1000])
            .Select((members, sizes, identical, seed) => (members, sizes, identical, seed));
        gen.Sample(t =>
        {
            var random = new Random(t.seed);
            string[] topics = ["x", "y", "z"];
            var partitions = topics.Select((name, i) => (name, t.sizes[i])).ToDictionary(p => p.name, p => p.Item2);
            var all = partitions.SelectMany(p => Enumerable.Range(0, p.Value).Select(i => new TopicPartition(p.Key, i))).ToList();
            var members = Enumerable.Range(0, t.members).Select(i =>
            {
                string[] subscribed = t.identical ? topics : topics.Where(_ => random.Next(2) == 0).DefaultIfEmpty("x").ToArray();
                TopicPartition[] owned = all.Where(_ => random.Next(t.members + 1) == 0).ToArray();
                return Owning($"m{i}", subscribed, owned);
            }).ToList();

            var assignment = Assignor.Assign(members, partitions);

            AssertValid(assignment, members, partitions);
            if (t.identical)
            {
                var counts = assignment.Values.Select(l => l.Count).ToList();
                Assert.That(counts.Max() - counts.Min(), Is.LessThanOrEqualTo(1));
            }
        }, iter: 300);
    }

    [Test]
    public void Assign_SameInputTwice_GivesTheSameOutput()
    {
        MemberSubscription[] members = [Member("b", "t"), Owning("a", T, Tp("t", 3)), Member("c", "t")];
        var partitions = new Dictionary<string, int> { ["t"] = 8 };

        Assert.That(Assignor.Assign(members, partitions), Is.EqualTo(Assignor.Assign(members.Reverse().ToArray(), partitions)));
        Assert.That(Assignor.Protocol, Is.EqualTo(RebalanceProtocol.Cooperative));
    }
}
