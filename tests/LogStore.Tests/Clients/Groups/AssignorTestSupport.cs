using LogStore.Clients.Groups;

namespace LogStore.Tests.Clients.Groups;

/// <summary>Builds assignor inputs and checks the properties every assignor must have.</summary>
internal static class AssignorTestSupport
{
    public static MemberSubscription Member(string id, params string[] topics) => new(id, topics);

    public static MemberSubscription Owning(string id, string[] topics, params TopicPartition[] owned) => new(id, topics, owned);

    public static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    public static List<TopicPartition> Tps(string topic, params int[] partitions) => partitions.Select(p => new TopicPartition(topic, p)).ToList();

    /// <summary>Every subscribed partition goes to exactly one member subscribed to its topic, and nothing else is assigned.</summary>
    public static void AssertValid(Dictionary<string, List<TopicPartition>> assignment, IReadOnlyList<MemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        Assert.That(assignment.Keys, Is.EquivalentTo(members.Select(m => m.MemberId)));
        var seen = new HashSet<TopicPartition>();
        foreach (MemberSubscription member in members)
        {
            foreach (TopicPartition tp in assignment[member.MemberId])
            {
                Assert.That(member.Topics, Does.Contain(tp.Topic), $"{member.MemberId} got {tp} without subscribing to it");
                Assert.That(seen.Add(tp), Is.True, $"{tp} assigned twice");
            }
        }
        var expected = members.SelectMany(m => m.Topics).Distinct()
            .SelectMany(t => Enumerable.Range(0, partitionsPerTopic.GetValueOrDefault(t)).Select(p => new TopicPartition(t, p)));
        Assert.That(seen, Is.EquivalentTo(expected));
    }
}
