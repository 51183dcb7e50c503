namespace LogStore.Tests.Clients;

/// <summary>Message keeps its timestamp in a compact form (UTC ticks and an offset in minutes): whatever is set must
/// read back equal, to the tick and with its offset, and null must stay distinct from every instant.</summary>
[TestFixture]
public sealed class MessageTests
{
    private static readonly DateTimeOffset[] Instants =
    [
        DateTimeOffset.MinValue,
        DateTimeOffset.MaxValue,
        DateTimeOffset.UnixEpoch,
        new DateTimeOffset(2026, 11, 24, 16, 30, 0, TimeSpan.Zero).AddTicks(1234567),
        new DateTimeOffset(2026, 11, 24, 22, 0, 0, TimeSpan.FromMinutes(330)).AddTicks(7),
        new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.FromHours(-14)),
        new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.FromHours(14)),
    ];

    [Test]
    public void Timestamp_IsNull_UntilSet_AndAfterSettingNull()
    {
        var message = new Message<Null, string>();
        Assert.That(message.Timestamp, Is.Null);
        message.Timestamp = DateTimeOffset.UnixEpoch;
        message.Timestamp = null;
        Assert.That(message.Timestamp, Is.Null);
    }

    [TestCaseSource(nameof(Instants))]
    public void Timestamp_RoundTrips_ToTheTick_WithItsOffset(DateTimeOffset instant)
    {
        var message = new Message<Null, string> { Timestamp = instant };

        DateTimeOffset? read = message.Timestamp;

        Assert.That(read, Is.Not.Null);
        Assert.That(read!.Value.UtcTicks, Is.EqualTo(instant.UtcTicks));
        Assert.That(read.Value.Offset, Is.EqualTo(instant.Offset));
        Assert.That(read.Value.DateTime, Is.EqualTo(instant.DateTime));
    }
}

/// <summary>A ConsumeResult made by application code (a test double, a replay) reports what it was given.</summary>
[TestFixture]
public sealed class ConsumeResultTests
{
    [Test]
    public void PublicConstructor_KeepsItsTopicPartitionOffsetAndMessage()
    {
        var message = new Message<string, string> { Key = "k", Value = "v" };

        var result = new ConsumeResult<string, string>(new TopicPartition("orders", 3), 42, message);

        Assert.That(result.TopicPartition, Is.EqualTo(new TopicPartition("orders", 3)));
        Assert.That(result.Offset, Is.EqualTo(42));
        Assert.That(result.Message, Is.SameAs(message));
    }
}
